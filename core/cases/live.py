"""Where fraud case work announces changes to every desk: ``fraud.detected``, ``alert.updated``, ``case.updated``.

The one place this package publishes. It hands events to the live-update bus (``core.events.publish``,
delivered after the transaction commits) when the bus is present; without it, desks notice changes by
polling (``core.cases.queue.queue_stamp``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

FRAUD_DETECTED = "fraud.detected"
ALERT_UPDATED = "alert.updated"
CASE_UPDATED = "case.updated"


def publish(conn: Connection, name: str, payload: dict[str, Any]) -> None:
    """Announce ``name`` with ``payload`` (plain JSON data) once ``conn``'s transaction commits."""
    try:
        from core.events import publish as bus_publish  # type: ignore[import-not-found]
    except ImportError:
        return
    bus_publish(conn, name, payload)
