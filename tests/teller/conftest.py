"""A small bank for the teller core tests, on SQLite and PostgreSQL, with an audit trail."""
from __future__ import annotations

from datetime import date

import pytest

from core.ledger.money import to_minor
from core.ledger.service import Ledger
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.teller.customers import NewCustomer
from core.teller.service import Teller

TELLER = Actor("tina", Role.TELLER, device="desk-1")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")
ANALYST = Actor("anna", Role.ANALYST)


def new_customer(name="Ada Lovelace", **kw) -> NewCustomer:
    values = dict(name=name, date_of_birth=date(1985, 12, 10), phone="+1 202 555 0143",
                  address="12 St James's Square, London", id_type="passport", id_number="X1234567", country="US")
    values.update(kw)
    return NewCustomer(**values)


@pytest.fixture
def teller(engine, tmp_path) -> Teller:
    audit = AuditTrail(AuditKeys(tmp_path / "audit.key"))
    return Teller(Ledger(engine, audit=audit))


@pytest.fixture
def funded(teller):
    """A customer with a USD account holding 1,000.00; returns (customer, account number)."""
    cust = teller.add_customer(TELLER, new_customer())
    acc = teller.open_account(TELLER, cust.id, "USD", overdraft=to_minor("100", "USD"))
    teller.ledger.deposit(SYSTEM_ACTOR, acc.number, to_minor("1000", "USD"), "USD")
    return cust, acc.number
