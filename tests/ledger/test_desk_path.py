"""The desk's screened, audited posting path (one read, one checked write on PostgreSQL; the locking path on
SQLite): features equal a recomputation, decisions keep their rules, the audit entry commits with the
transfer, and concurrent desks paying from the same card see each other in a serial order."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func, select

from core.fraud.config import FraudConfig
from core.fraud.features import INDEX
from core.fraud.replay import memory_replay
from core.fraud.screen import FraudScreen
from core.fraud.txn import Txn
from core.ledger.errors import TransferDeclined, TransferNotFound
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models import AuditEntry
from core.persistence.models.fraud import FraudAlert, FraudCard, FraudScore
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role

_IDS: dict[str, int] = {}  # account number -> customer id
TELLER = Actor("tina", Role.TELLER, device="desk-1")
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _desk(engine, tmp_path, config: FraudConfig | None = None) -> Ledger:  # noqa: ANN001
    """A ledger as Services.build makes it: audit trail and fraud screen attached."""
    return Ledger(engine, audit=AuditTrail(AuditKeys(tmp_path / "audit-keys")),
                  screen=FraudScreen(engine, config=config or FraudConfig(velocity_limit_1h=None)))


def _customers(ledger: Ledger, n: int, accounts_each: int = 1) -> list[list[str]]:
    """``n`` customers' account numbers (``accounts_each`` funded USD accounts each); ids in ``ledger.ids``."""
    out = []
    for i in range(n):
        customer = ledger.add_customer(SYSTEM_ACTOR, f"Customer {i}")
        numbers = []
        for _ in range(accounts_each):
            number = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number
            ledger.deposit(SYSTEM_ACTOR, number, 10_000_000_00, "USD")
            numbers.append(number)
            _IDS[number] = customer.id
        out.append(numbers)
    return out


def _audit_actions(engine, target: str) -> list[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEntry.action).where(AuditEntry.target == target)).scalars())


def test_features_through_the_desk_path_equal_a_recomputation(engine, tmp_path):
    ledger = _desk(engine, tmp_path)
    payers = [n[0] for n in _customers(ledger, 4)]
    payees = [n[0] for n in _customers(ledger, 3)]
    rng = np.random.default_rng(3)
    results, txns = [], []
    for i in range(70):
        k = int(rng.integers(len(payers)))
        at = START + timedelta(seconds=i * 1700 + int(rng.integers(0, 600)))
        amount = int(rng.integers(500, 90_000))
        device = f"d{int(rng.integers(3))}" if i % 3 else None
        country = "FR" if i % 4 else None
        counterparty = f"T{int(rng.integers(5))}" if i % 5 else None  # else: the payee's account number
        payee = payees[int(rng.integers(len(payees)))]
        result = ledger.transfer(SYSTEM_ACTOR, TransferRequest(
            f"f{i}", payers[k], payee, amount, "USD", counterparty=counterparty, counterparty_country=country,
            device=device, at=at, channel="online"))  # online: the device is the customer's (a desk's is not)
        assert result.fraud is not None and result.state == "posted"
        results.append(result)
        txns.append(Txn(f"f{i}", f"{_IDS[payers[k]]}:USD", counterparty or payee, country, amount / 100,
                        int(at.timestamp()), "online", device))
    expected, _ = memory_replay(txns, None, 7)
    for i, result in enumerate(results):
        assert np.allclose(result.fraud.features, expected[i], rtol=1e-9, atol=1e-9), i
    # and a restarted desk (nothing cached) reads the same state
    again = _desk(engine, tmp_path)
    at = START + timedelta(seconds=70 * 1700 + 60)
    result = again.transfer(SYSTEM_ACTOR, TransferRequest("probe", payers[0], payees[0], 1_000, "USD",
                                                          counterparty="T1", at=at))
    probe_txn = Txn("probe", f"{_IDS[payers[0]]}:USD", "T1", None, 10.0, int(at.timestamp()), "desk", None)
    expected, _ = memory_replay(txns + [probe_txn], None, 7)
    assert np.allclose(result.fraud.features, expected[-1], rtol=1e-9, atol=1e-9)


def test_decisions_and_their_audit_entries(engine, tmp_path):
    config = FraudConfig(blocked_counterparties=frozenset({"MULE-1"}), amount_limits={"USD": 500_00},
                         velocity_limit_1h=None)
    ledger = _desk(engine, tmp_path, config)
    (payer,), (payee,) = _customers(ledger, 2)
    before = ledger.balance(TELLER, payer).current

    ok = ledger.transfer(TELLER, TransferRequest("ok1", payer, payee, 25_00, "USD"))
    assert (ok.state, ok.fraud.decision) == ("posted", "approve")
    assert _audit_actions(engine, "ok1") == ["transfer.post"]

    with pytest.raises(TransferDeclined):
        ledger.transfer(TELLER, TransferRequest("no1", payer, payee, 10_00, "USD", counterparty="MULE-1"))
    with pytest.raises(TransferNotFound):  # a decline never posts
        ledger.transfer_row(TELLER, "no1")
    assert _audit_actions(engine, "no1") == ["transfer.declined"]

    held = ledger.transfer(TELLER, TransferRequest("rv1", payer, payee, 900_00, "USD"))
    assert (held.state, held.fraud.decision) == ("pending", "review")  # a review holds
    assert _audit_actions(engine, "rv1") == ["transfer.hold"]
    bal = ledger.balance(TELLER, payer)
    assert (bal.current, bal.available) == (before - 25_00, before - 25_00 - 900_00)
    with engine.connect() as conn:
        scores = dict(conn.execute(select(FraudScore.transfer_id, FraudScore.decision)).all())
        assert conn.execute(select(FraudAlert.status).where(FraudAlert.transfer_id == "rv1")).scalar_one() == "open"
    assert scores == {"ok1": "approve", "no1": "decline", "rv1": "review"}

    replay = ledger.transfer(TELLER, TransferRequest("ok1", payer, payee, 25_00, "USD"))  # a desk's retry
    assert replay.replayed and _audit_actions(engine, "ok1") == ["transfer.post"]


@pytest.mark.parametrize("bands", [None, (("urgent", 0.5, 30), ("rest", 0.0, 600))])
def test_a_held_payments_alert_is_the_one_intake_raises(engine, tmp_path, bands):
    """The desk path raises a review's alert inside its one write (core.cases.intake_sql); it must equal what
    ``intake.raise_alert`` writes for the same payment: columns, SLA band and due time, links, timeline event."""
    import json

    from core.cases import intake, sla
    from core.persistence.models import Account, AlertLink, FraudEvent

    if bands is not None:
        with engine.begin() as conn:
            sla.save(conn, sla.SlaPolicy(tuple(sla.Band(*b) for b in bands)))
    ledger = _desk(engine, tmp_path, FraudConfig(amount_limits={"USD": 500_00}, velocity_limit_1h=None))
    (payer,), (payee,) = _customers(ledger, 2)
    held = ledger.transfer(TELLER, TransferRequest("rv1", payer, payee, 900_00, "USD", counterparty="GB82WEST12345698765432",
                                                   device="till-7"))
    assert held.fraud.decision == "review"

    def alert_of(conn, transfer_id):  # noqa: ANN001, ANN202
        row = conn.execute(select(FraudAlert.__table__).where(FraudAlert.transfer_id == transfer_id)).one()
        links = {(k, key) for k, key in conn.execute(select(AlertLink.kind, AlertLink.key)
                                                      .where(AlertLink.alert_id == row.id))}
        events = [(e.kind, e.actor, json.loads(e.data)) for e in
                  conn.execute(select(FraudEvent.__table__).where(FraudEvent.alert_id == row.id))]
        return row, links, events

    with engine.begin() as conn:
        desk, desk_links, desk_events = alert_of(conn, "rv1")
        ids = dict(conn.execute(select(Account.number, Account.id)).all())
        card = next(key for kind, key in desk_links if kind == "card")
        intake.raise_alert(conn, intake.NewAlert(
            transfer_id="rv1-copy", score=desk.score, decision=desk.decision, reasons=tuple(json.loads(desk.reasons)),
            rules=tuple(json.loads(desk.rules)), debit_account_id=ids[payer], credit_account_id=ids[payee],
            amount=desk.amount, currency=desk.currency, channel=desk.channel, counterparty=desk.counterparty,
            device=desk.device, card=card), desk.created_at)
        ref, ref_links, ref_events = alert_of(conn, "rv1-copy")
    columns = [c.name for c in FraudAlert.__table__.c if c.name not in ("id", "transfer_id")]
    assert {c: getattr(desk, c) for c in columns} == {c: getattr(ref, c) for c in columns}
    assert desk.band == (bands[0][0] if bands else "medium" if desk.score >= 0.65 else "low")
    assert desk_links == ref_links and ("beneficiary", "GB82WEST12345698765432") in desk_links
    assert desk_events == ref_events and desk_events[0][0] == "raised"


def test_a_refused_transfer_writes_no_score_state_or_audit(engine, tmp_path):
    ledger = _desk(engine, tmp_path)
    (payer,), (payee,) = _customers(ledger, 2)
    with pytest.raises(Exception) as info:
        ledger.transfer(TELLER, TransferRequest("big", payer, payee, 10**15, "USD"))
    assert getattr(info.value, "code", "") == "insufficient_funds"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FraudScore)) == 0
        assert conn.scalar(select(func.count()).select_from(FraudCard)) == 0
    assert _audit_actions(engine, "big") == []


@pytest.mark.postgres
def test_desks_paying_from_one_card_see_each_other_in_a_serial_order(pg_engine, tmp_path):
    """Eight desks post at once from three accounts of ONE customer (one card): every payment's count of
    the card's payments (itself included) is different, 1..N; none missed another that committed first."""
    ledger = _desk(pg_engine, tmp_path)
    (accounts,) = _customers(ledger, 1, accounts_each=3)
    (payee,) = _customers(ledger, 1)[0]
    counts: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def desk(k: int) -> None:
        own = _desk(pg_engine, tmp_path)  # its own screen and caches, as another console's
        try:
            for i in range(12):
                result = own.transfer(TELLER, TransferRequest(f"s{k}-{i}", accounts[(k + i) % 3], payee, 1_00 + k,
                                                              "USD"))
                with lock:
                    counts.append(int(result.fraud.features[INDEX["card_n_30d"]]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert sorted(counts) == list(range(1, len(counts) + 1))
    with pg_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FraudScore)) == len(counts)


@pytest.mark.postgres
def test_the_desk_paths_statements_are_parsed_once(pg_engine, tmp_path, monkeypatch):
    """psycopg caches the conversion of a statement's placeholders only under a size it sets (4 KB, 50
    parameters); core.persistence.driver raises it for the desk path's few long texts, which otherwise were
    parsed again on every transfer (a regex pass over ~4 KB and ~140 parameters: a tenth of the desk's CPU).
    The longest shapes (a review with counterparty, country and device; a decline) must hit the cache."""
    import psycopg

    config = FraudConfig(blocked_counterparties=frozenset({"MULE-1"}), amount_limits={"USD": 500_00},
                         velocity_limit_1h=None)
    ledger = _desk(pg_engine, tmp_path, config)
    (payer,), (payee,) = _customers(ledger, 2)
    parsed = []
    uncached = psycopg._queries._query2pg_nocache  # noqa: SLF001

    def counting(query, encoding):  # noqa: ANN001, ANN202
        parsed.append(len(query))
        return uncached(query, encoding)

    monkeypatch.setattr(psycopg._queries, "_query2pg_nocache", counting)  # noqa: SLF001
    for i in range(2):
        held = ledger.transfer(TELLER, TransferRequest(f"rv{i}", payer, payee, 900_00, "USD", counterparty=f"GB{i}",
                                                       counterparty_country="GB", device="till-7"))
        assert held.fraud.decision == "review"
        assert ledger.transfer(TELLER, TransferRequest(f"ok{i}", payer, payee, 25_00, "USD", counterparty="SHOP",
                                                       counterparty_country="FR", device="till-7")).state == "posted"
        with pytest.raises(TransferDeclined):
            ledger.transfer(TELLER, TransferRequest(f"no{i}", payer, payee, 10_00, "USD", counterparty="MULE-1",
                                                    counterparty_country="GB", device="till-7"))
    assert parsed == []
