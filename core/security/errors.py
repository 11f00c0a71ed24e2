"""Typed refusals of the security services (users, login, MFA, audit)."""
from __future__ import annotations

from datetime import datetime

from core.errors import ConfigurationError, NotFound, QenexError, ValidationError


class BadCredentials(QenexError):
    """Wrong username or password. Deliberately does not say which, nor whether the user exists."""

    code = "bad_credentials"

    def __init__(self, message: str = "wrong username or password") -> None:
        super().__init__(message)


class InvalidCode(QenexError):
    """The TOTP or recovery code is wrong or outside the ±30 s window."""

    code = "invalid_code"

    def __init__(self, message: str = "the code is not valid; check the authenticator's clock") -> None:
        super().__init__(message)


class CodeReused(QenexError):
    """A TOTP code (or an older one) that was already accepted is offered again."""

    code = "code_reused"

    def __init__(self, message: str = "this code was already used; wait for the next one") -> None:
        super().__init__(message)


class CodeRequired(QenexError):
    """A user with two-factor sign-in acted without a code (the command line's ``--as USER``)."""

    code = "code_required"

    def __init__(self, username: str) -> None:
        super().__init__(f"{username} signs in with a one-time code: give the code from the authenticator app "
                         "(QENEX_TOTP_CODE, or type it when asked)", username=username)


class AccountLocked(QenexError):
    """Too many failed attempts: the account refuses every login until ``until`` (UTC)."""

    code = "account_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many failed attempts; the account is locked until {until:%Y-%m-%d %H:%M:%S} UTC",
                         until=until.isoformat())
        self.until = until


class UserDisabled(QenexError):
    code = "user_disabled"

    def __init__(self, username: str) -> None:
        super().__init__(f"user {username} is disabled; ask an administrator", username=username)


class EnrollmentRequired(QenexError):
    """The user has no completed MFA enrollment; ``enrollment`` carries the secret and otpauth URI."""

    code = "enrollment_required"

    def __init__(self, enrollment: object) -> None:
        super().__init__("two-factor enrollment is required: scan the QR code and enter one code")
        self.enrollment = enrollment


class LoginExpired(QenexError):
    """The login step is unknown, already used, expired, or the account changed since it began."""

    code = "login_expired"

    def __init__(self, message: str = "the login has expired; start again with username and password") -> None:
        super().__init__(message)


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self, username: str) -> None:
        super().__init__(f"no user named {username!r}", username=username)


class UsernameTaken(ValidationError):
    code = "username_taken"

    def __init__(self, username: str) -> None:
        super().__init__(f"a user named {username!r} already exists", username=username)


class InvalidUsername(ValidationError):
    code = "invalid_username"


class InvalidRole(ValidationError):
    code = "invalid_role"


class LastAdmin(ValidationError):
    """Refused: the change would leave no active administrator."""

    code = "last_admin"


class PasswordPolicyError(ValidationError):
    """A new password that the policy refuses; subclasses say why."""

    code = "password_policy"


class PasswordTooShort(PasswordPolicyError):
    code = "password_too_short"


class PasswordTooLong(PasswordPolicyError):
    code = "password_too_long"


class PasswordTooWeak(PasswordPolicyError):
    code = "password_too_weak"


class AuditKeyError(ConfigurationError):
    """The audit signing key or trusted public keys cannot be read or are unsafe."""

    code = "audit_key"


class PasswordChangeRequired(QenexError):
    """The user must choose a new password at this login (new user, or an administrator reset it): send it with
    the code (``UserService.complete_login(step, code, new_password=...)``)."""

    code = "password_change_required"

    def __init__(self, message: str = "choose a new password of your own to finish signing in: the one you were "
                                      "given was set by an administrator") -> None:
        super().__init__(message)


class PasswordReuse(PasswordPolicyError):
    code = "password_reuse"

