"""Live status for other desks on the event bus (core.events): ``payment.updated`` for card payments and
``payment_order.updated`` for payment orders. Called inside the transaction that made the change: the bus
delivers after commit, and nothing if it rolls back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.events import publish as bus_publish

PAYMENT_ORDER_UPDATED = "payment_order.updated"


def publish(conn: Connection, name: str, payload: dict[str, Any]) -> None:
    """Publish ``name`` (``payment.updated`` or ``payment_order.updated``) with ids and status only."""
    bus_publish(conn, name, payload)
