"""Ledger fixtures: a Ledger on each backend and a helper to open funded accounts."""
from __future__ import annotations

import pytest

from core.ledger.service import Ledger
from core.security.roles import SYSTEM_ACTOR


@pytest.fixture
def ledger(engine):
    return Ledger(engine)


@pytest.fixture
def open_account(ledger):
    """open_account(currency="USD", funds=0, overdraft=0) -> account number (funded by a cash deposit)."""
    counter = iter(range(1_000_000))

    def make(currency: str = "USD", funds: int = 0, overdraft: int = 0) -> str:
        customer = ledger.add_customer(SYSTEM_ACTOR, f"Customer {next(counter)}")
        number = ledger.open_account(SYSTEM_ACTOR, customer.id, currency, overdraft=overdraft).number
        if funds:
            ledger.deposit(SYSTEM_ACTOR, number, funds, currency)
        return number

    return make
