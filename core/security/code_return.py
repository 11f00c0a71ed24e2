"""A command refused before it did anything gives its one-time code back (``qenex … --as USER``).

Each ``--as`` command proves who acts with a password and, once enrolled, a TOTP code, and the code is used up
(replay protection: ``users.totp_last_step``). A script whose first command core refused (a typo in an id, an
alert someone else holds) would then wait up to 30 s for the next code before it may try again. So when core
refuses a command (a QenexError: it wrote nothing), the code's step is handed back — only if no newer code was
accepted meanwhile, audited as ``cli.login.code_returned`` — and the same code works once more within its
validity. A command that did something never gives its code back, so a code still opens one action only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update

from core.persistence.models import User
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.security.users import UserService


@dataclass(frozen=True)
class CodeUse:
    """``user_id``'s code accepted at ``step``; ``before``: the newest step accepted until then."""

    user_id: int
    before: int | None
    step: int


def give_back(users: "UserService", actor: Actor, why: str) -> bool:
    """Return the code ``users.verify`` accepted for ``actor`` in this process (nothing was done with it);
    True when it can be used once more. Recovery codes are never given back."""
    use = users.code_uses.pop(actor.username, None)
    if use is None:
        return False
    now = users.clock()
    with users.engine.begin() as conn:
        returned = conn.execute(update(User).where(User.id == use.user_id, User.totp_last_step == use.step)
                                .values(totp_last_step=use.before)).rowcount == 1
        if returned and users.audit is not None:
            users.audit.append(conn, actor, "cli.login.code_returned", actor.username, None,
                               {"refused": why[:200]}, at=now)
    return returned
