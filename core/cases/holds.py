"""When a held payment is resolved outside a disposition (a teller posts it, the command line voids it, it
expires), its alert closes with that outcome. Called from the ledger's pending-resolution path
(``core.ledger.pending``) in the same transaction, so no path can leave an open alert behind.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from core.cases import live, timeline
from core.persistence.models import FraudAlert, FraudCase
from core.security.roles import Actor

_AL = FraudAlert.__table__
_CASE = FraudCase.__table__
RESOLUTIONS = {"posted": "hold_posted", "voided": "hold_voided", "expired": "hold_expired"}


def hold_resolved(conn: Connection, actor: Actor, transfer_id: str, state: str, now: datetime,
                  record: Callable[..., None]) -> int | None:
    """Close the open alert of ``transfer_id`` (if any) because its hold was ``state`` (posted, voided,
    expired); ``record`` is the ledger's audit hook. Returns the alert id closed, or None."""
    row = conn.execute(select(_AL.c.id, _AL.c.status, _AL.c.assignee, _AL.c.case_id)
                       .where(_AL.c.transfer_id == transfer_id, _AL.c.status != "closed")).first()
    if row is None:
        return None
    resolution = RESOLUTIONS[state]
    conn.execute(update(_AL).where(_AL.c.id == row.id).values(
        status="closed", resolution=resolution, closed_at=now, closed_by=actor.username, assignee=None,
        claimed_at=None, lease_until=None, updated_at=now, updated_by=actor.username))
    timeline.add(conn, actor.username, "hold_resolved", now, alert_id=row.id, state=state)
    record(conn, actor, "alert.close", f"alert:{row.id}", {"status": row.status, "assignee": row.assignee},
           {"status": "closed", "resolution": resolution})
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": row.id, "status": "closed", "resolution": resolution})
    if row.case_id is not None:
        touch_case(conn, row.case_id, now)
    return row.id


def touch_case(conn: Connection, case_id: int, now: datetime) -> None:
    conn.execute(update(_CASE).where(_CASE.c.id == case_id).values(updated_at=now))
    live.publish(conn, live.CASE_UPDATED, {"case_id": case_id})


def transfer_state(conn: Connection, transfer_id: str) -> Any:
    """(kind, state) of the alert's transfer, or None if the ledger has no such transfer."""
    from core.persistence.models import Transfer

    t = Transfer.__table__
    return conn.execute(select(t.c.kind, t.c.state).where(t.c.id == transfer_id)).first()
