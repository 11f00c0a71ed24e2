"""Fixtures for the security tests: a movable clock, an audit trail with a key in tmp, cheap Argon2id."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR
from core.security.users import UserService

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(memory_kib=8, iterations=1, lanes=1)  # tests only: passed in, never a global switch


class Clock:
    """A clock the test moves by hand (starts on a TOTP step boundary)."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def code(secret: str, at: datetime) -> str:
    """The real TOTP code an authenticator app would show at ``at``."""
    return pyotp.TOTP(secret).at(at)


@pytest.fixture
def hasher() -> PasswordHasher:
    return CHEAP


@pytest.fixture
def totp_code():
    return code


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit(tmp_path) -> AuditTrail:
    return AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"), batch_size=4)


@pytest.fixture
def users(engine, audit, clock) -> UserService:
    return UserService(engine, audit, clock=clock, hasher=CHEAP)


@pytest.fixture
def enroll(users, clock):
    """enroll(name, role) -> (secret, recovery codes): adds the user and completes enrollment at first login."""

    def _enroll(name: str, role: str = "teller") -> tuple[str, tuple[str, ...]]:
        new = users.add_user(SYSTEM_ACTOR, name, role, PASSWORD, must_change_password=False)
        step = users.begin_login(name, PASSWORD)
        result = users.complete_login(step, code(new.enrollment.secret, clock()))
        clock.advance(30)  # the next login needs a fresh code
        return new.enrollment.secret, result.recovery_codes

    return _enroll
