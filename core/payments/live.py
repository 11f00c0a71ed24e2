"""Live status for other desks: ``payment.updated`` on the event bus (core/events, engineer E's).

Until the bus is on main, this is the one place that publishes; it does nothing when the bus is absent.
Call inside the transaction that made the change: the bus delivers after commit.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def publish(conn: Connection, name: str, payload: dict[str, Any]) -> None:
    """Publish ``name`` (``payment.updated`` or ``payment_order.updated``) with ``payload`` after commit."""
    try:
        from core.events import publish as bus_publish  # type: ignore[attr-defined]
    except ImportError:
        return
    bus_publish(conn, name, payload)
