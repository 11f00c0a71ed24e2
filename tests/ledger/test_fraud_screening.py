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
    with pytest.raises(TransferDeclined) as info:
        ledger.transfer(TELLER, TransferRequest("x1", payer, payee, 10_00, "USD", counterparty="MULE-1"))
    assert any("block list" in r for r in info.value.reasons)
    with pytest.raises(TransferNotFound):
        ledger.transfer_row(TELLER, "x1")
    assert ledger.balance(TELLER, payer).current == 2_000_00
    with engine.connect() as conn:
        assert conn.execute(select(FraudScore.decision).where(FraudScore.transfer_id == "x1")).scalar_one() == "decline"


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
