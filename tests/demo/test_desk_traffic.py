"""The demo bank's first model approves ordinary desk traffic (issue 12: 1,000.00 USD at the desk)."""
from __future__ import annotations

from sqlalchemy import select

from core.demo.seed import seed
from core.fraud.dbtrain import train_from_database
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models import Account
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tom", Role.TELLER)


def test_a_1000_usd_desk_transfer_between_two_demo_customers_is_approved(sqlite_engine):
    seed(Ledger(sqlite_engine), customers=300, days=45)
    train_from_database(sqlite_engine, actor=SYSTEM_ACTOR)
    ledger = Ledger(sqlite_engine, screen=FraudScreen(sqlite_engine))
    payer, payee = _two_customers(sqlite_engine)
    result = ledger.transfer(TELLER, TransferRequest("desk-1000", payer, payee, 1_000_00, "USD",
                                                     description="transfer at the desk", channel="desk"))
    assert (result.state, result.fraud.decision) == ("posted", "approve"), result.fraud
    assert not any("card" in reason or "terminal" in reason for reason in result.fraud.reasons)


def _two_customers(engine) -> list[str]:  # noqa: ANN001
    """Account numbers of two demo customers (people, not merchants) with money on their USD account."""
    a = Account.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.number, a.name).where(
            a.currency == "USD", a.kind == "deposit", a.customer_id.is_not(None),
            a.credits_posted - a.debits_posted >= 2_000_00).order_by(a.customer_id)).all()
    people = [number for number, name in rows if "settlement" not in (name or "").lower()]
    return people[3:5]
