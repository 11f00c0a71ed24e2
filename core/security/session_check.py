"""An open session follows its user's account: a disable, a role change or a password reset by an administrator
takes effect at the user's next action (issue 8 §6).

Sessions live in the desk's memory (``core.security.sessions.Session``); each core call carries the session's
``Actor``. ``check(engine, audit, actor)`` reads the user's row (one primary-key lookup) and refuses with
``SessionRevoked`` (audited as ``session.revoked``) when the account was disabled, its role is no longer the
session's, or an administrator reset its password. ``core.security.guard.authorize`` calls it before every
permission check, so every service (ledger, teller, payments, fraud desk, users) enforces it. Actors without a
``user_id`` (the system operator, tests' stand-ins) are not user sessions and pass.
"""
from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from core.errors import QenexError
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.security.audit import AuditTrail


_SQL = "SELECT status, role, must_change_password FROM users WHERE id = %s"


@cache
def _state():  # noqa: ANN202 - the users-row query, built on the first session check (a command acting as the
    # system operator checks no session, and loads neither the user model nor the driver's cursor helpers)
    from sqlalchemy import bindparam, select

    from core.persistence.models.security import User

    users = User.__table__
    return select(users.c.status, users.c.role, users.c.must_change_password).where(users.c.id == bindparam("id"))


def _read(engine: Engine, user_id: int):  # noqa: ANN202 - a row with status, role, must_change_password, or None
    """The user's row in one round trip: on PostgreSQL an autocommit driver cursor (no pool checkout and no
    ROLLBACK on return, which doubled the cost), elsewhere an ordinary connection."""
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            return conn.execute(_state(), {"id": user_id}).first()
    from core.persistence.driver import AutocommitConnections

    with AutocommitConnections.of(engine, "session", keep=2).cursor() as cur:  # lives and closes with the engine
        cur.execute(_SQL, (user_id,))
        found = cur.fetchone()
    return None if found is None else SimpleNamespace(status=found[0], role=found[1], must_change_password=found[2])


class SessionRevoked(QenexError):
    """The user's session ended because an administrator changed the account; ``reason`` says how
    (disabled, role, password_reset). The desk returns to the login screen."""

    code = "session_revoked"


_WHY = {
    "disabled": "an administrator disabled your account",
    "role": "an administrator changed your role to {role}",
    "password_reset": "an administrator reset your password",
}


def reason(actor: Actor, row) -> str | None:  # noqa: ANN001 - a users row (status, role, must_change_password)
    """Why ``actor``'s session no longer holds against its user ``row`` (None: it holds)."""
    if row is None:  # users are never deleted by the product; a stand-in actor (tests, tools) is not a session
        return None
    if row.status != "active":
        return "disabled"
    if row.role != actor.role.value:
        return "role"
    if row.must_change_password:
        return "password_reset"
    return None


def check(engine: Engine, audit: "AuditTrail | None", actor: Actor) -> None:
    """Return if ``actor`` (a logged-in user) still holds; else audit ``session.revoked`` and raise SessionRevoked."""
    if actor.user_id is None or not actor.session:
        # a command line's ``--as USER`` is no session: it reads the user's role and status afresh on each call
        # (app.commands.alerts.actor_for) and acts for the system operator, who keeps their power (issue 8 §6)
        return
    row = _read(engine, actor.user_id)
    why = reason(actor, row)
    if why is None:
        return
    if audit is not None:
        with engine.begin() as conn:
            audit.append(conn, actor, "session.revoked", actor.username, {"role": actor.role.value},
                         {"reason": why, **({"role_now": row.role} if why == "role" else {})})
    text = _WHY[why].format(role=getattr(row, "role", ""))
    raise SessionRevoked(f"your session has ended: {text}. Nothing was done; sign in again"
                         + (" with the temporary password you were given" if why == "password_reset" else ""),
                         reason=why)
