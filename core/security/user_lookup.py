"""Finding a user row by the name as typed: ``login_name`` normalisation, the USERNAME pattern, ``user_row``.

Shared by login (core.security.users) and administration (core.security.user_admin).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, select

from core.persistence.models.security import User
from core.text import InvalidText, clean

USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,63}")


def login_name(username: str) -> str:
    """A username as typed or pasted: NFKC, no invisible characters or spaces at the ends, lower case
    (``core.text.clean``: ``ＡＬＩＣＥ\u00a0`` is ``alice``); "" if it is not text. Inner spaces stay (and
    are refused: usernames have none)."""
    try:
        return clean(username, "the user name").lower()
    except InvalidText:
        return ""


def user_row(conn: Connection, *, username: str | None = None, user_id: int | None = None, lock: bool = False) -> Any:
    stmt = select(User).where(User.username == username if username is not None else User.id == user_id)
    return conn.execute(stmt.with_for_update() if lock else stmt).first()
