"""A small bank with an audit trail and a supervisor, for the drawer and standing-instruction tests."""
from __future__ import annotations

import pytest
from sqlalchemy import insert

from core.drawers.limits import DrawerLimits
from core.drawers.service import Drawers
from core.ledger.money import to_minor
from core.persistence.base import utcnow
from core.persistence.models import User
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.security.users import UserService
from tests.security.conftest import CHEAP
from core.teller.service import Teller
from tests.teller.conftest import new_customer, teller  # noqa: F401 - fixtures

TINA = Actor("tina", Role.TELLER, device="desk-1")
TOM = Actor("tom", Role.TELLER, device="desk-3")
SAM = Actor("sam", Role.SUPERVISOR, device="desk-2")
SAM_PASSWORD = "a supervisor signs the drawer"


def usd(text: str) -> int:
    return to_minor(text, "USD")


@pytest.fixture
def users(teller: Teller, engine) -> UserService:  # noqa: F811
    """The desk's users over the ledger's audit trail; sam is a supervisor who signs with SAM_PASSWORD (not
    enrolled in two-factor sign-in yet)."""
    users = UserService(engine, teller.ledger.audit, hasher=CHEAP)
    users.add_user(SYSTEM_ACTOR, "sam", "supervisor", SAM_PASSWORD, must_change_password=False)
    return users


@pytest.fixture
def drawers(teller: Teller, engine, users) -> Drawers:  # noqa: F811
    with engine.begin() as conn:
        conn.execute(insert(User).values(username="tina", role="teller", status="active", password_hash="x",
                                         totp_secret="x", failed_attempts=0, lockouts=0, created_at=utcnow()))
    return Drawers(teller.ledger, DrawerLimits.from_env({}), users=users)


@pytest.fixture
def account(teller: Teller) -> str:  # noqa: F811
    """A customer's USD account holding 50,000.00 (with passport X1234567 on file)."""
    cust = teller.add_customer(TINA, new_customer())
    acc = teller.open_account(TINA, cust.id, "USD")
    teller.ledger.deposit(SYSTEM_ACTOR, acc.number, usd("50000"), "USD")
    return acc.number
