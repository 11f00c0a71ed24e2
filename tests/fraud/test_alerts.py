"""The read-only alert queue on SQLite and PostgreSQL: who may see it, what each alert shows, in what order."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from core.errors import PermissionDenied, ValidationError
from core.fraud.alerts import count_open_alerts, open_alerts
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.persistence.models import AuditEntry, FraudAlert
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role

ANALYST = Actor("nina", Role.ANALYST, device="desk-test")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")
TELLER = Actor("tina", Role.TELLER, device="desk-test")
LIMIT = 10_000  # 100.00 USD: anything above is held for review


@pytest.fixture
def ledger(engine):
    return Ledger(engine, screen=FraudScreen(engine, config=FraudConfig(amount_limits={"USD": LIMIT})))


@pytest.fixture
def accounts(ledger):
    numbers = []
    for name in ("Ada", "Grace", "Alan"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 1_000_00, "USD")
    return numbers


def _pay(ledger, id_, debit, credit, amount, **kw):  # noqa: ANN001, ANN003, ANN202
    return ledger.transfer(TELLER, TransferRequest(id=id_, debit=debit, credit=credit, amount=amount,
                                                   currency="USD", **kw))


def test_held_transfers_are_listed_newest_first_with_their_details(engine, ledger, accounts):
    ada, grace, alan = accounts
    assert _pay(ledger, "ok", ada, grace, LIMIT).state == "posted"  # at the limit: approved, no alert
    first = _pay(ledger, "big-1", ada, grace, 250_00, channel="online", counterparty="SHOP-7")
    second = _pay(ledger, "big-2", ada, alan, 120_50)
    assert first.state == second.state == "pending"

    alerts = open_alerts(engine, ANALYST)
    assert [a.transfer_id for a in alerts] == ["big-2", "big-1"]
    assert count_open_alerts(engine, SUPERVISOR) == 2
    newest, older = alerts
    assert (older.amount, older.currency, older.debit, older.credit) == (250_00, "USD", ada, grace)
    assert (older.channel, older.counterparty, older.transfer_state) == ("online", "SHOP-7", "pending")
    assert older.reasons[0] == "amount 250.00 USD is over the limit of 100.00 USD"
    assert all(isinstance(r, str) for r in older.reasons)
    assert 0.5 <= older.score < 0.9
    assert newest.created_at >= older.created_at and newest.created_at.tzinfo is not None
    assert newest.to_dict()["amount"] == "120.50"
    assert (newest.debit, newest.credit, newest.channel, newest.counterparty) == (ada, alan, "desk", None)

    assert [a.transfer_id for a in open_alerts(engine, ANALYST, offset=1, limit=1)] == ["big-1"]


def test_order_is_by_time_and_closed_alerts_leave_the_queue(engine, ledger, accounts):
    ada, grace, _ = accounts
    _pay(ledger, "held", ada, grace, 300_00)
    with engine.begin() as conn:  # an older alert written later (higher id), naming no ledger transfer
        conn.execute(insert(FraudAlert.__table__).values(
            transfer_id="elsewhere", score=0.7, decision="review", reasons=json.dumps(["card tested at night"]),
            status="open", created_at=utcnow() - timedelta(hours=1)))
    alerts = open_alerts(engine, ANALYST)
    assert [a.transfer_id for a in alerts] == ["held", "elsewhere"]
    orphan = alerts[1]
    assert orphan.reasons == ["card tested at night"]
    assert (orphan.amount, orphan.debit, orphan.channel) == (None, None, None)
    assert orphan.to_dict()["amount"] is None

    with engine.begin() as conn:
        conn.execute(update(FraudAlert.__table__).where(FraudAlert.__table__.c.transfer_id == "held")
                     .values(status="legit"))
    assert [a.transfer_id for a in open_alerts(engine, ANALYST)] == ["elsewhere"]
    assert count_open_alerts(engine, ANALYST) == 1


def test_a_teller_is_refused_and_the_refusal_is_audited(engine, ledger, accounts, tmp_path):
    _pay(ledger, "held", accounts[0], accounts[1], 300_00)
    audit = AuditTrail(AuditKeys(tmp_path / "audit.key"))
    with pytest.raises(PermissionDenied):
        open_alerts(engine, TELLER, audit=audit)
    with pytest.raises(PermissionDenied):
        count_open_alerts(engine, TELLER)
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.__table__.c.action, AuditEntry.__table__.c.actor)).all()
    assert ("permission.denied", "tina") in [tuple(a) for a in actions]


@pytest.mark.parametrize("offset, limit", [(-1, 10), (0, 0), (0, 10_001)])
def test_bad_paging_is_refused(engine, offset, limit):
    with pytest.raises(ValidationError):
        open_alerts(engine, ANALYST, offset=offset, limit=limit)
