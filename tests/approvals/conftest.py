"""A small bank with four eyes attached, on SQLite and PostgreSQL, with an audit trail and a fraud screen."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.approvals import Approvals, Policy
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.teller.service import Teller

TELLER = Actor("tina", Role.TELLER, device="desk-1")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")
SUPERVISOR_2 = Actor("sue", Role.SUPERVISOR, device="desk-3")
ANALYST = Actor("anna", Role.ANALYST)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(engine, tmp_path, clock):
    """(ledger, approvals, teller service, [alice's account, bob's account]); alice holds 20,000.00 USD.
    Limits: teller 1,000.00, supervisor 5,000.00; requests expire after 2 hours."""
    audit = AuditTrail(AuditKeys(tmp_path / "audit.key"))
    ledger = Ledger(engine, audit=audit, screen=FraudScreen(engine), clock=clock)
    approvals = Approvals(ledger, Policy({"teller": Decimal(1000), "supervisor": Decimal(5000)}, timedelta(hours=2)))
    ledger.four_eyes = approvals
    numbers = []
    for name in ("Alice", "Bob"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 20_000_00, "USD")
    return ledger, approvals, Teller(ledger), numbers
