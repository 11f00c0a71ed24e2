"""``--as USER`` is a sign-in: the named user proves who they are before the command acts as them.

The password comes from ``QENEX_PASSWORD`` or, at a terminal, a prompt (never echoed); a user who set up
two-factor sign-in also gives a current code from ``QENEX_TOTP_CODE`` or a prompt (a recovery code works too).
Core checks them as a desk's login does (``UserService.verify``): wrong passwords count towards the lockout and
are audited, a disabled or locked account is refused, and a password an administrator set must first be
replaced at a desk. A code opens one command: a second command needs the next code (replay protection),
except after a command core refused (it did nothing), which gives its code back (``core.security.code_return``)
so a script may correct and repeat it with the same code. Without ``--as`` the command acts as the system operator, which reads and runs the bank's
own jobs but never makes a person's decision (core.security.roles.HUMAN_ONLY).
"""
from __future__ import annotations

import getpass
import os
import socket
import sys

from core.errors import NotFound, ValidationError
from core.security.errors import CodeReused
from core.security.roles import SYSTEM_ACTOR, Actor

PASSWORD_ENV = "QENEX_PASSWORD"
CODE_ENV = "QENEX_TOTP_CODE"


def actor_for(ctx, name: str | None) -> Actor:  # noqa: ANN001
    """The acting user for ``--as NAME`` once they proved it (password, and code when enrolled), or the system
    operator without ``--as``."""
    if not name:
        return SYSTEM_ACTOR
    from sqlalchemy import select

    from core.persistence.models import User
    from core.security.user_lookup import login_name
    from core.security.users import UserService

    with ctx.engine.connect() as conn:
        row = conn.execute(select(User.username, User.status, User.totp_enrolled_at)
                           .where(User.username == login_name(name))).first()
    if row is None:
        raise NotFound(f"no user {name!r}; --as takes the user name of the person deciding (an active user "
                       "of the right role)", user=name)
    if row.status != "active":
        raise ValidationError(f"user {name} is disabled", user=name)
    password = _secret(PASSWORD_ENV, f"Password for {row.username}: ", f"{row.username}'s password")
    code = _secret(CODE_ENV, f"One-time code for {row.username}: ",
                   f"{row.username}'s one-time code (from their authenticator app)") \
        if row.totp_enrolled_at is not None else None
    users = UserService(ctx.engine, ctx.audit)
    try:
        actor = users.verify(row.username, password, code, device=f"cli:{socket.gethostname()[:40]}")
    except CodeReused as err:
        if code is None or not code.strip().isdigit():
            raise  # a recovery code: its own words (each works once)
        raise CodeReused(f"this code already opened a command (one code, one command: replay protection); put the "
                         f"authenticator's next code in {CODE_ENV} (a new one every 30 s) and run it again; "
                         "nothing was done") from err
    if code is not None:
        ctx.signed_in.append((users, actor))  # a refused command gives the code back (app.cli, code_return)
    return actor


def _secret(env: str, prompt: str, what: str, why: str = "--as names a person, so the command") -> str:
    """From the environment, else typed at a terminal (not echoed); a script without either is told what to set."""
    value = os.environ.get(env)
    if value:
        return value.strip() if env == CODE_ENV else value
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(prompt)
        except (EOFError, KeyboardInterrupt):
            pass
    raise ValidationError(f"{why} needs {what}: type it when asked (at a terminal) "
                          f"or set {env}; nothing was done", variable=env)
