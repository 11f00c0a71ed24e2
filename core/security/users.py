"""User accounts and login with MFA.

Login is two steps so a desk can enroll at first login:
``begin_login(username, password)`` -> LoginStep (with ``enrollment`` when MFA is still pending), then
``complete_login(step, code)`` -> LoginResult (with the ten recovery codes right after enrollment).
A code is a 6-digit TOTP code or, once enrolled, a one-time recovery code. Failed passwords and codes
count towards a lockout whose delay doubles each time. Every change is audited in its own transaction;
failures are recorded as the anonymous actor with the account as target.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from core.errors import QenexError
from core.persistence.base import utcnow
from core.persistence.models.security import RecoveryCode, User
from core.security import recovery, session_check, totp
from core.security.audit import AuditTrail
from core.security.errors import (
    AccountLocked, BadCredentials, CodeRequired, CodeReused, EnrollmentRequired, InvalidCode, LoginExpired, PasswordChangeRequired,
    PasswordReuse, UserDisabled,
)
from core.security.passwords import PasswordHasher, check_policy
from core.security.roles import Actor, Role
from core.security.sessions import LockoutPolicy, LoginResult, LoginStep, Session
from core.security.totp_keys import TotpSecrets
from core.security.totp_store import TotpStore
from core.security.user_admin import RESERVED, UserAdministration
from core.security.user_lookup import USERNAME, login_name
from core.security.user_lookup import user_row as _row

__all__ = ["RESERVED", "USERNAME", "UserService", "login_name"]


@dataclass(frozen=True)
class _Pending:
    user_id: int
    username: str
    device: str | None
    expires_at: datetime
    secret: str  # the TOTP secret when the step began: an MFA reset since then expires the step
    enrolling: bool
    password_change: bool = False  # the user must choose a new password with the code


class UserService(UserAdministration):
    """Users, login, idle unlock and user administration (core.security.user_admin). Thread-safe; share one
    per process."""

    def __init__(self, engine: Engine, audit: AuditTrail | None, clock: Callable[[], datetime] = utcnow,
                 hasher: PasswordHasher | None = None, lockout: LockoutPolicy | None = None,
                 step_ttl: timedelta = timedelta(minutes=5), enroll_ttl: timedelta = timedelta(minutes=15),
                 totp_secrets: TotpSecrets | None = None) -> None:
        self.engine = engine
        self.audit = audit
        # TOTP secrets are stored AES-GCM encrypted with keys beside the audit key (core.security.totp_keys).
        self.totp = TotpStore(engine, totp_secrets or (TotpSecrets(audit.keys.key_path.parent)
                                                       if audit is not None else None))
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.lockout = lockout or LockoutPolicy()
        self.step_ttl = step_ttl  # time to type the code after the password
        self.enroll_ttl = enroll_ttl  # time to set up an authenticator app at first login
        self._pending: dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()
        self.code_uses: dict[str, Any] = {}  # username -> CodeUse of verify's TOTP code (core.security.code_return)
        # Called as hook(conn, actor, reason) in the transaction that records a desk locking or logging out
        # (e.g. fraud case work frees the alerts the analyst held).
        self.on_session_end: list[Callable[[Connection, Actor, str], Any]] = []

    # -- login -------------------------------------------------------------------------------------------

    def begin_login(self, username: str, password: str, device: str | None = None) -> LoginStep:
        """Check the password. Raises BadCredentials, AccountLocked or UserDisabled.

        The username is normalised (``login_name``): ``ＡＬＩＣＥ `` is ``alice``.
        """
        name = login_name(username)
        now = self.clock()
        row = None
        if USERNAME.fullmatch(name):
            with self.engine.connect() as conn:
                row = _row(conn, username=name)
        if row is None:
            self.hasher.burn(password)
            self._record(_anonymous(device), "login.failed", _shown(name), None, {"reason": "unknown_user"}, now)
            raise self._bad_credentials()
        if row.locked_until is not None and row.locked_until > now:
            self._record(_anonymous(device), "login.refused", name, None, {"reason": "locked"}, now)
            raise AccountLocked(row.locked_until)
        if not self.hasher.verify(password, row.password_hash):
            with self.engine.begin() as conn:
                error = self._failure(conn, _row(conn, user_id=row.id, lock=True), now, device, self._bad_credentials())
            raise error
        if row.status != "active":
            self._record(_anonymous(device), "login.refused", name, None, {"reason": "disabled"}, now)
            raise UserDisabled(name)
        enrolling = row.totp_enrolled_at is None
        ticket = secrets.token_urlsafe(24)
        expires = now + (self.enroll_ttl if enrolling else self.step_ttl)
        secret = self.totp.plain(row)
        pending = _Pending(row.id, name, device, expires, secret, enrolling, bool(row.must_change_password))
        with self._pending_lock:
            self._pending = {t: p for t, p in self._pending.items() if p.expires_at > now}
            self._pending[ticket] = pending
        return LoginStep(ticket=ticket, username=name, expires_at=pending.expires_at,
                         enrollment=totp.enrollment(name, secret) if enrolling else None,
                         password_change=pending.password_change)

    def complete_login(self, step: LoginStep | str, code: str, new_password: str | None = None) -> LoginResult:
        """Check the code for a step from ``begin_login``; completes a pending enrollment too.

        When the step asks for a password change (``step.password_change``: a new user, or an administrator
        reset the password), ``new_password`` is the user's own new password, set with the code (audited as
        ``password.change``). Raises PasswordChangeRequired without it, a PasswordPolicyError for a weak one or
        the same as before (neither counts as a failed attempt; the step stays usable), InvalidCode,
        CodeReused, AccountLocked (after too many failures), UserDisabled or LoginExpired. A wrong code leaves
        the step usable for another try.
        """
        ticket = step.ticket if isinstance(step, LoginStep) else step
        now = self.clock()
        with self._pending_lock:
            pending = self._pending.get(ticket)
        if pending is None or pending.expires_at <= now:
            self._forget(ticket)
            self._expired(pending, now)
            raise LoginExpired()
        new_hash = self._new_password_hash(pending, new_password)
        try:
            result = self._second_factor(pending.user_id, code, now, pending.device, "login",
                                         secret=pending.secret, enrolling=pending.enrolling, new_hash=new_hash)
        except QenexError as exc:
            if not isinstance(exc, (InvalidCode, CodeReused)):  # a typo may be retried; anything else ends the step
                self._forget(ticket)
            raise
        self._forget(ticket)
        return result

    def login(self, username: str, password: str, code: str, device: str | None = None) -> LoginResult:
        """One call for an enrolled user (scripts, tests). Raises EnrollmentRequired if MFA is still pending."""
        step = self.begin_login(username, password, device)
        if step.enrollment is not None:
            self._forget(step.ticket)
            raise EnrollmentRequired(step.enrollment)
        if step.password_change:
            self._forget(step.ticket)
            raise PasswordChangeRequired()
        return self.complete_login(step, code)

    def verify(self, username: str, password: str, code: str | None, device: str | None = None, *,
               purpose: str = "cli.login") -> Actor:
        """Prove who is acting without opening a desk session (the command line's ``--as USER``): the user's
        password and, once they enrolled two-factor sign-in, a current TOTP code (or a recovery code). The same
        checks, lockout and audit as a desk's login (a success with a code is audited as ``cli.login``, a failure as
        ``cli.login.failed``; the password alone, for a user not enrolled yet, writes nothing on success).

        ``purpose`` names the audited action instead of ``cli.login`` (e.g. ``drawer.signoff``: a supervisor signing
        a teller's drawer difference at the teller's desk).

        Raises BadCredentials, AccountLocked, UserDisabled, InvalidCode, CodeReused; CodeRequired when an
        enrolled user gave no code."""
        step = self.begin_login(username, password, device)
        with self._pending_lock:
            pending = self._pending.pop(step.ticket, None)
        if pending is None:
            raise LoginExpired()
        # A password an administrator set (``must_change_password``) still proves the person it was given to;
        # it is replaced at their first desk sign-in, which the command line cannot do (no QR code to show).
        if pending.enrolling:  # two-factor sign-in not set up yet: the password is the whole credential
            with self.engine.connect() as conn:
                row = _row(conn, user_id=pending.user_id)
            if row.failed_attempts:  # the right password ends a run of failures, as a desk's login does
                with self.engine.begin() as conn:
                    conn.execute(update(User).where(User.id == row.id).values(failed_attempts=0, lockouts=0))
            return Actor(row.username, Role(row.role), row.id, device=device, session=False)
        if not code:
            raise CodeRequired(pending.username)
        result = self._second_factor(pending.user_id, code.strip(), self.clock(), device, purpose,
                                     secret=pending.secret, enrolling=False)
        actor = result.session.actor
        return Actor(actor.username, actor.role, actor.user_id, device=device, session=False)

    def _new_password_hash(self, pending: _Pending, new_password: str | None) -> str | None:
        """The hash of the user's new password when this login must change it (checked before the code)."""
        if not pending.password_change:
            return None
        if not new_password:
            raise PasswordChangeRequired()
        check_policy(new_password, pending.username)
        with self.engine.connect() as conn:
            row = _row(conn, user_id=pending.user_id)
        if row is not None and self.hasher.verify(new_password, row.password_hash):
            raise PasswordReuse("choose a new password: it must differ from the one the administrator gave you")
        return self.hasher.hash(new_password)

    def unlock(self, actor: Actor, password: str, code: str) -> Session:
        """Reopen an idle-locked desk for the same user with password and code (failures count as for login).

        Failures and refusals are audited under the desk's user (``actor``), who is known: the desk was theirs.
        Raises BadCredentials, InvalidCode, CodeReused, AccountLocked, UserDisabled, or LoginExpired when the
        user's MFA was reset meanwhile (log in again).
        """
        now = self.clock()
        with self.engine.connect() as conn:
            row = _row(conn, user_id=actor.user_id) if actor.user_id is not None else None
        if row is None or row.username != actor.username:
            self.hasher.burn(password)
            self._record(actor, "unlock.failed", _shown(actor.username), None, {"reason": "unknown_user"}, now)
            raise self._bad_credentials()
        if row.locked_until is not None and row.locked_until > now:
            self._record(actor, "unlock.refused", row.username, None, {"reason": "locked"}, now)
            raise AccountLocked(row.locked_until)
        if not self.hasher.verify(password, row.password_hash):
            with self.engine.begin() as conn:
                error = self._failure(conn, _row(conn, user_id=row.id, lock=True), now, actor.device,
                                      self._bad_credentials(), action="unlock.failed", who=actor)
            raise error
        if row.status == "active" and session_check.reason(actor, row) is not None:
            session_check.check(self.engine, self.audit, actor)  # the role changed or the password was reset
        return self._second_factor(row.id, code, now, actor.device, "unlock", enrolling=False, who=actor).session

    def lock(self, actor: Actor, reason: str = "idle") -> None:
        """Record that the desk of ``actor`` was locked (the UI hides everything until ``unlock``)."""
        self._session_end(actor, "session.lock", {"reason": reason}, f"session locked ({reason})")

    def logout(self, actor: Actor) -> None:
        self._session_end(actor, "logout", None, "logged out")

    def _session_end(self, actor: Actor, action: str, after: dict | None, reason: str) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            self._audit(conn, actor, action, actor.username, None, after, now)
            for hook in self.on_session_end:
                hook(conn, actor, reason)

    def _second_factor(self, user_id: int, code: str, now: datetime, device: str | None, purpose: str, *,
                       secret: str | None = None, enrolling: bool, new_hash: str | None = None,
                       who: Actor | None = None) -> LoginResult:
        """Check ``code`` in one transaction, record success or failure, then return or raise.

        ``who``: the actor failures are audited under (the desk's user on unlock; anonymous at login)."""
        error: QenexError | None = None
        failed_as = who or _anonymous(device)
        with self.engine.begin() as conn:
            row = _row(conn, user_id=user_id, lock=True)
            if row is None:
                raise LoginExpired("the account changed since this login began; start again")
            if row.status != "active":
                self._audit(conn, failed_as, f"{purpose}.refused", row.username, None,
                            {"reason": "disabled"}, now)
                error = UserDisabled(row.username)
            elif row.locked_until is not None and row.locked_until > now:
                self._audit(conn, failed_as, f"{purpose}.refused", row.username, None,
                            {"reason": "locked"}, now)
                error = AccountLocked(row.locked_until)
            elif ((secret is not None and self.totp.plain(row, rewrite=False) != secret)
                  or (row.totp_enrolled_at is None) != enrolling
                  or (purpose == "login" and row.must_change_password and new_hash is None)):
                error = self._failure(conn, row, now, device, LoginExpired(
                    "the account changed since this login began; start again"), action=f"{purpose}.failed", who=who)
            else:
                try:
                    changes, method, left = _check_code(conn, row, self.totp.plain(row, conn=conn), code, now,
                                                        allow_recovery=not enrolling)
                except (InvalidCode, CodeReused) as exc:
                    error = self._failure(conn, row, now, device, exc, action=f"{purpose}.failed", who=who)
                except (TypeError, ValueError):  # whatever the code was, it was not a valid one: counted
                    error = self._failure(conn, row, now, device, InvalidCode(), action=f"{purpose}.failed", who=who)
                else:
                    if new_hash is not None:  # the user's own password replaces the one they were given
                        changes = {**changes, "password_hash": new_hash, "must_change_password": False}
                        self._audit(conn, Actor(row.username, Role(row.role), row.id, device), "password.change",
                                    row.username, {"change_at_login": True},
                                    {"change_at_login": False, "changed": "at login"}, now)
                    return self._success(conn, row, now, device, purpose, changes, method, left)
        raise error

    def _success(self, conn: Connection, row: Any, now: datetime, device: str | None, purpose: str,
                 changes: dict[str, Any], method: str, left: int | None) -> LoginResult:
        actor = Actor(username=row.username, role=Role(row.role), user_id=row.id, device=device)
        values = {**changes, "failed_attempts": 0, "lockouts": 0, "locked_until": None}
        if purpose == "login":
            values["last_login_at"] = now
        codes: tuple[str, ...] = ()
        if row.totp_enrolled_at is None:
            values["totp_enrolled_at"] = now
            codes = tuple(recovery.new_codes())
            conn.execute(delete(RecoveryCode).where(RecoveryCode.user_id == row.id))
            conn.execute(insert(RecoveryCode), [
                {"user_id": row.id, "code_hash": recovery.digest(row.id, c), "created_at": now} for c in codes])
            self._audit(conn, actor, "mfa.enroll", row.username, {"enrolled": False},
                        {"enrolled": True, "recovery_codes": len(codes)}, now)
        conn.execute(update(User).where(User.id == row.id).values(**values))
        if method == "totp" and purpose == "cli.login":  # a refused command may give it back (code_return)
            from core.security.code_return import CodeUse

            self.code_uses[row.username] = CodeUse(row.id, row.totp_last_step, values["totp_last_step"])
        if method == "recovery_code":
            self._audit(conn, actor, "mfa.recovery_code_used", row.username, None, {"remaining": left}, now)
        self._audit(conn, actor, "session.unlock" if purpose == "unlock" else purpose, row.username,
                    {"failed_attempts": row.failed_attempts} if row.failed_attempts else None,
                    {"method": method, "device": device}, now)
        session = Session(id=secrets.token_urlsafe(16), actor=actor, started_at=now)
        return LoginResult(session=session, recovery_codes=codes, recovery_codes_left=left)

    def _bad_credentials(self) -> BadCredentials:
        """Wrong user name or password, saying that a lockout comes (the same words whether or not the user
        exists, so the count of tries left is not given: it would tell who has an account)."""
        first = int(self.lockout.first_delay.total_seconds() // 60) or 1
        return BadCredentials(f"wrong username or password; after {self.lockout.max_failures} wrong tries in a row "
                              f"the account is locked ({first} min at first, longer each time)")

    def _failure(self, conn: Connection, row: Any, now: datetime, device: str | None, error: QenexError,
                 action: str = "login.failed", who: Actor | None = None) -> QenexError:
        """Count one failed attempt on the locked ``row``; returns the error to raise (AccountLocked on the last).

        Audited under ``who`` (the desk's user on unlock), else the anonymous actor."""
        failed = row.failed_attempts + 1
        who = who or _anonymous(device)
        self._audit(conn, who, action, row.username, {"failed_attempts": row.failed_attempts},
                    {"failed_attempts": failed, "reason": error.code}, now)
        if failed < self.lockout.max_failures:
            conn.execute(update(User).where(User.id == row.id).values(failed_attempts=failed))
            return error
        lockouts = row.lockouts + 1
        until = now + self.lockout.delay(lockouts)
        conn.execute(update(User).where(User.id == row.id).values(
            failed_attempts=0, lockouts=lockouts, locked_until=until))
        self._audit(conn, who, "account.lock", row.username, {"locked_until": row.locked_until},
                    {"locked_until": until, "lockouts": lockouts}, now)
        return AccountLocked(until)

    def _audit(self, conn: Connection, actor: Actor, action: str, target: str, before: dict | None,
               after: dict | None, now: datetime) -> None:
        if self.audit is not None:
            self.audit.append(conn, actor, action, target, before, after, at=now)

    def _record(self, actor: Actor, action: str, target: str, before: dict | None, after: dict | None,
                now: datetime) -> None:
        """Audit in a transaction of its own (refusals that change nothing else)."""
        if self.audit is not None:
            with self.engine.begin() as conn:
                self._audit(conn, actor, action, target, before, after, now)

    def _expired(self, pending: _Pending | None, now: datetime) -> None:
        """Audit a code sent for an unknown or expired login step; an expired one counts as a failed attempt."""
        if pending is None:
            self._record(_anonymous(None), "login.failed", "", None, {"reason": "login_expired"}, now)
            return
        with self.engine.begin() as conn:
            row = _row(conn, user_id=pending.user_id, lock=True)
            if row is not None and not (row.locked_until is not None and row.locked_until > now):
                self._failure(conn, row, now, pending.device, LoginExpired())
            else:
                self._audit(conn, _anonymous(pending.device), "login.failed", pending.username, None,
                            {"reason": "login_expired"}, now)

    def _forget(self, ticket: str) -> None:
        with self._pending_lock:
            self._pending.pop(ticket, None)


def _check_code(conn: Connection, row: Any, secret: str, code: str, now: datetime,
                allow_recovery: bool) -> tuple[dict[str, Any], str, int | None]:
    """(user column changes, method, recovery codes left) for a valid code; raises InvalidCode or CodeReused."""
    typed = totp.normalize(code)
    if totp.is_totp_code(typed):
        return {"totp_last_step": totp.accept(secret, typed, now, row.totp_last_step)}, "totp", None
    if not (allow_recovery and recovery.looks_like_recovery_code(code)):
        raise InvalidCode("enter the 6-digit code from the authenticator" +
                          (" or a recovery code" if allow_recovery else ""))
    digest = recovery.digest(row.id, code)
    found = conn.execute(select(RecoveryCode.id, RecoveryCode.used_at).where(
        RecoveryCode.user_id == row.id, RecoveryCode.code_hash == digest)).first()
    if found is None:
        raise InvalidCode("the recovery code is not valid")
    if found.used_at is not None:
        raise CodeReused("this recovery code was already used; each one works once")
    conn.execute(update(RecoveryCode).where(RecoveryCode.id == found.id).values(used_at=now))
    left = conn.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == row.id, RecoveryCode.used_at.is_(None))).scalar_one()
    return {}, "recovery_code", int(left)


def _anonymous(device: str | None) -> Actor:
    return Actor(username="anonymous", role=Role.ANONYMOUS, device=device)


def _shown(name: str) -> str:
    """A name safe to put in the audit trail as a target (printable, at most 64 characters)."""
    return "".join(ch if ch.isprintable() else "?" for ch in name)[:64]
