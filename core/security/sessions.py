"""What login hands out (steps, sessions, one-time recovery codes), user rows as shown, and the lockout rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.security.roles import Actor, Role
from core.security.totp import Enrollment


@dataclass(frozen=True)
class LockoutPolicy:
    """After ``max_failures`` failed attempts in a row the account locks; each further lockout doubles the delay."""

    max_failures: int = 5
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=24)

    def delay(self, lockouts: int) -> timedelta:
        """The lock duration of the ``lockouts``-th consecutive lockout (1, 2, 4, ... minutes by default)."""
        return min(self.first_delay * 2 ** min(max(lockouts - 1, 0), 30), self.max_delay)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: Role
    status: str  # "active" | "disabled"
    enrolled: bool  # MFA enrollment completed
    locked_until: datetime | None  # set while (or after) a lockout; compare with now
    failed_attempts: int
    created_at: datetime
    last_login_at: datetime | None
    must_change_password: bool = False  # a new user, or a password an administrator reset: changed at next login


@dataclass(frozen=True)
class NewUser:
    """A user just added: give ``enrollment.otpauth_uri`` to the user (the QR is also shown at first login)."""

    user: UserView
    enrollment: Enrollment


@dataclass(frozen=True)
class LoginStep:
    """The password was right. Send one code with ``ticket`` to ``complete_login`` before ``expires_at``.

    ``enrollment`` is set when MFA enrollment is still pending: show its QR code first; the code then
    completes enrollment as well as the login.
    """

    ticket: str
    username: str
    expires_at: datetime
    enrollment: Enrollment | None = None
    password_change: bool = False  # the user must choose a new password: pass it to complete_login


    @property
    def needs_enrollment(self) -> bool:
        return self.enrollment is not None

    @property
    def needs_password_change(self) -> bool:
        return self.password_change


@dataclass(frozen=True)
class Session:
    """A logged-in desk. ``actor`` is what every core call takes."""

    id: str
    actor: Actor
    started_at: datetime

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def role(self) -> Role:
        return self.actor.role


@dataclass(frozen=True)
class LoginResult:
    session: Session
    recovery_codes: tuple[str, ...] = field(default=())  # only right after enrollment: show once, never again
    recovery_codes_left: int | None = None  # set when a recovery code was used to log in
