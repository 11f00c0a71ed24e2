"""Permission checks that leave a trace: a refused call is audited, then raises PermissionDenied."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from core.errors import PermissionDenied
from core.security import session_check
from core.security.roles import Actor, Permission, refusal

if TYPE_CHECKING:
    from core.security.audit import AuditTrail


def authorize(engine: Engine, audit: "AuditTrail | None", actor: Actor, permission: Permission,
              target: str = "") -> None:
    """Return if ``actor`` holds ``permission``; otherwise audit "permission.denied" and raise PermissionDenied.

    A logged-in user's session is checked first (``session_check``): SessionRevoked once an administrator
    disabled the user, changed their role or reset their password.

    The refusal is written in its own transaction, so call this BEFORE opening the caller's transaction
    (on SQLite a second writer would wait for the first).
    """
    session_check.check(engine, audit, actor)  # a disabled, re-roled or reset user's session ends here
    if actor.can(permission):
        return
    target = "".join(ch if ch.isprintable() else "?" for ch in str(target))[:200]  # as typed, storable
    if audit is not None:
        with engine.begin() as conn:
            audit.append(conn, actor, "permission.denied", target, None, {"permission": permission.value})
    raise PermissionDenied(refusal(actor, permission),
                           permission=permission.value, target=target)


def refuse(engine: Engine, audit: "AuditTrail | None", actor: Actor, permission: Permission, target: str,
           message: str) -> None:
    """Audit "permission.denied" for a refusal core decides beyond the role (maker and checker the same person,
    a case-specific reason), then raise PermissionDenied with ``message`` (what happened and what to do)."""
    target = "".join(ch if ch.isprintable() else "?" for ch in str(target))[:200]
    if audit is not None:
        with engine.begin() as conn:
            audit.append(conn, actor, "permission.denied", target, None, {"permission": permission.value,
                                                                          "reason": message[:200]})
    raise PermissionDenied(message, permission=permission.value, target=target)
