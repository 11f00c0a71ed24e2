"""User administration: add, list, disable/enable, role changes, unlocks, password and MFA resets, TOTP key
rotation. A mixin of ``core.security.users.UserService`` (which supplies engine, audit, totp, clock, hasher and
``_audit``); every operation needs USER_MANAGE, a named administrator (adding a user needs USER_ADD and rotating
the TOTP key VAULT_ROTATE, which the system operator also holds), and is audited in the transaction that makes
the change.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import PermissionDenied, ValidationError
from core.persistence.models.security import RecoveryCode, User
from core.security import totp
from core.security.errors import InvalidRole, InvalidUsername, LastAdmin, UsernameTaken, UserNotFound
from core.security.guard import authorize
from core.security.passwords import PasswordHasher, check_policy, temporary_password
from core.security.roles import USER_ROLES, Actor, Permission, Role
from core.security.sessions import NewUser, UserView
from core.security.totp import Enrollment
from core.security.totp_store import RotationReport, TotpStore
from core.security.user_lookup import USERNAME, login_name
from core.security.user_lookup import user_row as _row

if TYPE_CHECKING:
    from core.security.audit import AuditTrail

RESERVED = {Role.SYSTEM.value, Role.ANONYMOUS.value}


class UserAdministration:
    """The USER_MANAGE operations of UserService."""

    engine: Engine
    audit: AuditTrail | None
    totp: TotpStore
    clock: Callable[[], datetime]
    hasher: PasswordHasher
    _audit: Callable[[Connection, Actor, str, str, dict | None, dict | None, datetime], None]  # UserService._audit

    def check_new(self, username: str, role: Role | str) -> None:
        """The name and role ``add_user`` would refuse, before anyone is asked for a password."""
        name = _username(username)
        _role(role)
        with self.engine.connect() as conn:
            if conn.execute(select(User.id).where(User.username == name)).first() is not None:
                raise UsernameTaken(name)

    def add_user(self, actor: Actor, username: str, role: Role | str, password: str, *,
                 enrolled_secret: str | None = None, must_change_password: bool = True) -> NewUser:
        """Create an active user whose MFA enrollment completes at first login, where they also choose their own
        password (``password`` is a first one the administrator gives them). Needs USER_ADD (an administrator, or
        the system operator: that is how the first administrator is made; every other change to a user needs a
        named administrator, core.security.roles.HUMAN_ONLY).

        ``enrolled_secret`` and ``must_change_password=False`` (system operator only: demo banks, migrations
        from another system, test fixtures) create the user already enrolled with that TOTP secret, or keeping
        ``password``. Raises InvalidUsername, InvalidRole, a PasswordPolicyError, UsernameTaken or PermissionDenied.
        """
        name, role = _username(username), _role(role)
        authorize(self.engine, self.audit, actor, Permission.USER_ADD, name)
        if enrolled_secret is not None and actor.role is not Role.SYSTEM:
            raise PermissionDenied("only the system operator may create users with a pre-enrolled authenticator")
        if not must_change_password and actor.role is not Role.SYSTEM:
            raise PermissionDenied("every user an administrator adds chooses their own password at first login")
        check_policy(password, name)
        secret, now = enrolled_secret or totp.new_secret(), self.clock()
        try:
            enrollment = totp.enrollment(name, secret)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"not a usable TOTP secret (base32, at least 160 bits): {exc}") from None
        password_hash = self.hasher.hash(password)
        stored = self.totp.stored(secret, name)
        try:
            with self.engine.begin() as conn:
                user_id = conn.execute(insert(User).values(
                    username=name, role=role.value, status="active", password_hash=password_hash,
                    totp_secret=stored, totp_enrolled_at=now if enrolled_secret else None, failed_attempts=0,
                    lockouts=0, created_at=now, must_change_password=must_change_password)).inserted_primary_key[0]
                self._audit(conn, actor, "user.add", name, None, {"role": role.value, "status": "active",
                                                                  "change_at_login": must_change_password}, now)
                view = _view(_row(conn, user_id=user_id))
        except IntegrityError as exc:
            raise UsernameTaken(name) from exc
        return NewUser(user=view, enrollment=enrollment)

    def list_users(self, actor: Actor) -> list[UserView]:
        """Every user, by username. Needs USER_MANAGE."""
        authorize(self.engine, self.audit, actor, Permission.USER_MANAGE, "users")
        with self.engine.connect() as conn:
            return [_view(row) for row in conn.execute(select(User).order_by(User.username))]

    def disable(self, actor: Actor, username: str) -> UserView:
        """The user can no longer log in. Refuses the caller's own account and the last active admin."""
        return self._change(actor, username, "user.disable", lambda row: {"status": "disabled"})

    def enable(self, actor: Actor, username: str) -> UserView:
        """Re-enable a disabled user; also lifts a lockout and resets the failure count."""
        return self._change(actor, username, "user.enable", lambda row: {
            "status": "active", "failed_attempts": 0, "lockouts": 0, "locked_until": None})

    def change_role(self, actor: Actor, username: str, role: Role | str) -> UserView:
        new_role = _role(role)
        return self._change(actor, username, "user.role", lambda row: {"role": new_role.value})

    def unlock_user(self, actor: Actor, username: str) -> UserView:
        """Lift a lockout now (failed attempts and the doubling delay start again). Needs USER_MANAGE; audited."""
        return self._change(actor, username, "user.unlock", lambda row: {
            "failed_attempts": 0, "lockouts": 0, "locked_until": None})

    def reset_password(self, actor: Actor, username: str, temporary: str | None = None) -> str:
        """Give the user a temporary password (``temporary``, or a generated one) that they must replace at their
        next login; their open sessions end at their next action and a lockout is lifted. Returns the temporary
        password: hand it to the user, it is not shown again. Needs USER_MANAGE; audited as ``password.reset``
        (without the password). Raises a PasswordPolicyError, UserNotFound, or ValidationError for your own."""
        name = login_name(username)
        temporary = temporary or temporary_password()
        check_policy(temporary, name)
        authorize(self.engine, self.audit, actor, Permission.USER_MANAGE, name)
        password_hash = self.hasher.hash(temporary)
        self._change(actor, name, "password.reset", lambda row: {
            "password_hash": password_hash, "must_change_password": True, "failed_attempts": 0, "lockouts": 0,
            "locked_until": None})
        return temporary

    def reset_mfa(self, actor: Actor, username: str) -> Enrollment:
        """Forget the user's TOTP secret and recovery codes; the next login enrolls again. Needs USER_MANAGE."""
        secret = totp.new_secret()
        stored = self.totp.stored(secret, login_name(username))  # the row's username, as _change looks it up
        view = self._change(actor, username, "mfa.reset", lambda row: {
            "totp_secret": stored, "totp_enrolled_at": None, "totp_last_step": None})
        return totp.enrollment(view.username, secret)

    def rotate_totp_key(self, actor: Actor) -> RotationReport:
        """Re-encrypt every user's TOTP secret with a new key version, then drop the old versions from the key
        file (``core.security.totp_store``). Needs VAULT_ROTATE (key upkeep, like the card vault's: an administrator
        or the system operator); audited as ``mfa.key_rotate``."""
        authorize(self.engine, self.audit, actor, Permission.VAULT_ROTATE, "totp_keys")
        return self.totp.rotate(lambda conn, version, count: self._audit(
            conn, actor, "mfa.key_rotate", "users", None, {"key_version": version, "users": count}, self.clock()))

    def _change(self, actor: Actor, username: str, action: str, changes: Callable[[Any], dict[str, Any]]) -> UserView:
        name = login_name(username)
        authorize(self.engine, self.audit, actor, Permission.USER_MANAGE, name)
        now = self.clock()
        with self.engine.begin() as conn:
            row = _row(conn, username=name, lock=True)
            if row is None:
                raise UserNotFound(name)
            values = changes(row)
            if actor.user_id == row.id and (values.get("status") == "disabled" or "role" in values
                                            or "password_hash" in values):
                raise ValidationError("you cannot disable yourself, change your own role or reset your own password; "
                                      "ask another administrator", username=name)
            demoted = values.get("status") == "disabled" or values.get("role", Role.ADMIN.value) != Role.ADMIN.value
            if row.role == Role.ADMIN.value and row.status == "active" and demoted and _active_admins(conn) <= 1:
                raise LastAdmin("this is the last active administrator; add another one first", username=name)
            conn.execute(update(User).where(User.id == row.id).values(**values))
            if "totp_secret" in values:
                conn.execute(delete(RecoveryCode).where(RecoveryCode.user_id == row.id))
            before, after = _audit_diff(row, values)
            self._audit(conn, actor, action, name, before, after, now)
            return _view(_row(conn, user_id=row.id))


def _active_admins(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.status == "active")).scalar_one()


def _view(row: Any) -> UserView:
    return UserView(id=row.id, username=row.username, role=Role(row.role), status=row.status,
                    enrolled=row.totp_enrolled_at is not None, locked_until=row.locked_until,
                    failed_attempts=row.failed_attempts, created_at=row.created_at, last_login_at=row.last_login_at,
                    must_change_password=bool(row.must_change_password))


_SHOWN = {"status", "role", "failed_attempts", "lockouts", "locked_until"}


def _audit_diff(row: Any, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Before/after of a user change without secrets: the TOTP secret shows only as enrolled yes/no."""
    before = {k: getattr(row, k) for k in values if k in _SHOWN}
    after = {k: v for k, v in values.items() if k in _SHOWN}
    if "totp_secret" in values:
        before["enrolled"], after["enrolled"] = row.totp_enrolled_at is not None, False
    if "must_change_password" in values:  # the audit refuses keys that name passwords: never the hash itself
        before["change_at_login"], after["change_at_login"] = bool(row.must_change_password), True
    return before, after


def _username(username: str) -> str:
    name = login_name(username)
    if not USERNAME.fullmatch(name) or name in RESERVED:
        raise InvalidUsername("a username has 3 to 64 characters: a letter, then letters, digits, '.', '_' or '-'"
                              + (f"; {name!r} is reserved" if name in RESERVED else ""), username=username)
    return name


def _role(role: Role | str) -> Role:
    try:
        value = Role(role)
    except ValueError:
        value = None
    if value not in USER_ROLES:
        raise InvalidRole(f"unknown role {role!r}; choose one of {', '.join(r.value for r in USER_ROLES)}",
                          role=str(role))
    return value
