"""Fixtures for fraud case work: a desk with audit trail and a strict fraud screen, funded customers,
analysts and a helper that posts a payment the screen holds for review (an alert)."""
from __future__ import annotations

import itertools

import pytest

from core.cases.service import FraudDesk
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.security.users import UserService

LIMIT = 100_00  # USD 100.00: any larger payment is held for review
ANNA = Actor("anna", Role.ANALYST, device="desk-a")
BOB = Actor("bob", Role.ANALYST, device="desk-b")
SAM = Actor("sam", Role.SUPERVISOR, device="desk-s")
TINA = Actor("tina", Role.TELLER, device="desk-t")


@pytest.fixture
def audit(tmp_path):
    return AuditTrail(AuditKeys(tmp_path / "audit.key"))


@pytest.fixture
def ledger(engine, audit):
    return Ledger(engine, audit=audit, screen=FraudScreen(engine, config=FraudConfig(amount_limits={"USD": LIMIT})))


@pytest.fixture
def desk(ledger):
    return FraudDesk(ledger)


@pytest.fixture
def users(engine, audit, desk):
    service = UserService(engine, audit, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1))
    service.on_session_end.append(desk.release_session)
    for actor in (ANNA, BOB, SAM, TINA):
        service.add_user(SYSTEM_ACTOR, actor.username, actor.role, "correct horse battery",
                         must_change_password=False)
    return service


@pytest.fixture
def bank(ledger):
    """Ada (USD 5,000.00) and Grace (USD 1,000.00) and Alan (empty); returns their account numbers."""
    numbers = []
    for name, funds in (("Ada Lovelace", 5_000_00), ("Grace Hopper", 1_000_00), ("Alan Turing", 0)):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        number = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number
        if funds:
            ledger.deposit(SYSTEM_ACTOR, number, funds, "USD")
        numbers.append(number)
    return numbers


@pytest.fixture
def hold(ledger, bank):
    """hold(amount=250_00, payer=0, payee=2, **request fields) -> transfer id of a payment held for review."""
    ids = itertools.count(1)

    def make(amount: int = 250_00, payer: int = 0, payee: int = 2, **kw) -> str:  # noqa: ANN003
        tid = kw.pop("id", f"held-{next(ids)}")
        result = ledger.transfer(TINA, TransferRequest(id=tid, debit=bank[payer], credit=bank[payee], amount=amount,
                                                       currency="USD", **kw))
        assert result.state == "pending", result
        return tid

    return make


def alert_id(desk: FraudDesk, transfer_id: str) -> int:
    from core.cases.queue import AlertFilter

    rows = desk.alerts(SAM, AlertFilter(status="all", text=transfer_id))
    assert len(rows) == 1, rows
    return rows[0].id
