"""Publishing the teller's events to other desks (``core.events``: delivered after the transaction commits).

``hold.placed`` / ``hold.released``: payload ``accounts`` (the account), ``hold``, ``amount``, ``currency``,
``reason`` (placed) or ``note`` (released).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.events import account_list
from core.events import publish as bus_publish


def publish(conn: Connection, name: str, payload: dict[str, Any]) -> None:
    account = payload.pop("account", None)
    bus_publish(conn, name, {**payload, **account_list([account] if account else [])})
