"""Publishing the teller's events (``hold.placed``, ``hold.released``) to other desks.

The event bus (``core.events``, the live-updates work) delivers after the transaction commits. Until
it exists in this tree this does nothing, so every caller already publishes at the right place.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def publish(conn: Connection, name: str, payload: dict[str, Any]) -> None:
    try:
        from core.events import publish as bus_publish  # type: ignore[import-not-found]
    except ImportError:
        return
    bus_publish(conn, name, payload)
