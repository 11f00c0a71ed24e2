"""Fraud screening in the posting path: a decline never posts, a review holds the funds and raises an alert."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.errors import TransferDeclined, TransferNotFound
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models.fraud import FraudAlert, FraudScore
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tina", Role.TELLER)
SUPERVISOR = Actor("sam", Role.SUPERVISOR)


@pytest.fixture
def screened(engine):
    config = FraudConfig(blocked_counterparties=frozenset({"MULE-1"}), amount_limits={"USD": 500_00})
    ledger = Ledger(engine, screen=FraudScreen(engine, config=config))
    accounts = []
    for name in ("Payer", "Payee"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        accounts.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, accounts[0], 2_000_00, "USD")
    return ledger, *accounts


def test_a_declined_transfer_never_posts(screened, engine):
    ledger, payer, payee = screened
    with pytest.raises(TransferDeclined) as info:  # a role that sees fraud details reads the screen's reasons
        ledger.transfer(SUPERVISOR, TransferRequest("x1", payer, payee, 10_00, "USD", counterparty="MULE-1"))
    assert any("block list" in r for r in info.value.reasons) and "block list" in info.value.message
    assert info.value.to_dict()["score"]
    with pytest.raises(TransferNotFound):
        ledger.transfer_row(TELLER, "x1")
    assert ledger.balance(TELLER, payer).current == 2_000_00
    with engine.connect() as conn:
        assert conn.execute(select(FraudScore.decision).where(FraudScore.transfer_id == "x1")).scalar_one() == "decline"


def test_a_tellers_refusal_says_declined_by_the_fraud_screen_without_score_or_reasons(screened, engine):
    """QA4 #3: a teller is told it was declined by the fraud screen and what to do, never why (tipping off)."""
    ledger, payer, payee = screened
    with pytest.raises(TransferDeclined) as info:
        ledger.transfer(TELLER, TransferRequest("x2", payer, payee, 10_00, "USD", counterparty="MULE-1"))
    err = info.value
    assert "declined by the fraud screen" in err.message and "supervisor" in err.message
    assert "block list" not in err.message and "MULE" not in err.message
    assert (err.reasons, err.score) == ((), None) and "score" not in err.to_dict()
    assert "block list" not in str(err.to_dict())
    with engine.connect() as conn:  # the analysts still have the reasons
        stored = conn.execute(select(FraudScore.reasons).where(FraudScore.transfer_id == "x2")).scalar_one()
    assert "block list" in stored


def test_a_review_holds_the_funds_and_raises_an_alert(screened, engine):
    ledger, payer, payee = screened
    result = ledger.transfer(TELLER, TransferRequest("r1", payer, payee, 900_00, "USD"))
    assert result.state == "pending" and result.fraud.decision == "review"
    bal = ledger.balance(TELLER, payer)
    assert (bal.current, bal.available) == (2_000_00, 1_100_00)
    with engine.connect() as conn:
        assert conn.execute(select(FraudAlert.status).where(FraudAlert.transfer_id == "r1")).scalar_one() == "open"
    ledger.void_pending(SYSTEM_ACTOR, "r1")  # an analyst's "fraud" outcome releases the hold
    assert ledger.balance(TELLER, payer).available == 2_000_00


def test_an_ordinary_payment_is_approved_and_posts(screened):
    ledger, payer, payee = screened
    result = ledger.transfer(TELLER, TransferRequest("ok1", payer, payee, 25_00, "USD"))
    assert (result.state, result.fraud.decision) == ("posted", "approve")
    assert ledger.balance(TELLER, payee).current == 25_00


def test_a_pending_transfer_held_for_review_keeps_its_funds_until_the_analyst_decides(engine):
    """QA4 #2: a pending transfer with a timeout that the screen holds for review (or an analyst flags) is
    held until the alert is decided: no timeout releases it nor closes its alert "hold expired"."""
    from datetime import datetime, timedelta, timezone

    from core.cases import intake

    now = [datetime.now(timezone.utc)]
    config = FraudConfig(amount_limits={"USD": 500_00})
    ledger = Ledger(engine, screen=FraudScreen(engine, config=config), clock=lambda: now[0])
    payer, payee = (ledger.open_account(SYSTEM_ACTOR, ledger.add_customer(SYSTEM_ACTOR, n).id, "USD").number
                    for n in ("Payer", "Payee"))
    ledger.deposit(SYSTEM_ACTOR, payer, 2_000_00, "USD")
    review = ledger.transfer(TELLER, TransferRequest("p-rev", payer, payee, 900_00, "USD", pending=True,
                                                     timeout_seconds=60))
    plain = ledger.transfer(TELLER, TransferRequest("p-ok", payer, payee, 50_00, "USD", pending=True,
                                                    timeout_seconds=60))
    flagged = ledger.transfer(TELLER, TransferRequest("p-flag", payer, payee, 40_00, "USD", pending=True,
                                                      timeout_seconds=60))
    assert review.fraud.decision == "review" and plain.fraud.decision == flagged.fraud.decision == "approve"
    ledger.run(lambda conn: intake.raise_manual(conn, "anna", "p-flag", "customer called about it", now[0]))
    now[0] += timedelta(hours=2)
    assert ledger.balance(TELLER, payer).available == 2_000_00 - 900_00 - 40_00  # the plain one timed out
    assert ledger.expire_pending(SYSTEM_ACTOR) == 1
    assert [ledger.transfer_row(TELLER, t)["state"] for t in ("p-rev", "p-ok", "p-flag")] == [
        "pending", "expired", "pending"]
    with engine.connect() as conn:
        assert set(conn.execute(select(FraudAlert.status)).scalars()) == {"open"}
