"""The timeline of every alert and case event: who did what, when, with which note.

Written in the same transaction as the change it describes (the signed audit trail records the same
actions; this is what analysts read). ``describe`` turns an event into plain words.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from core.persistence.models import FraudAlert, FraudEvent

_EV = FraudEvent.__table__
_AL = FraudAlert.__table__
MAX_EVENTS = 500


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    actor: str
    kind: str
    alert_id: int | None
    case_id: int | None
    note: str | None
    data: dict[str, Any]

    @property
    def text(self) -> str:
        return describe(self)

    def describe(self, zone: tzinfo) -> str:
        """The plain words with times shown in ``zone``."""
        return describe(self, zone)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "kind": self.kind,
                "alert_id": self.alert_id, "case_id": self.case_id, "note": self.note, "data": self.data,
                "text": self.text}


def add(conn: Connection, actor: str, kind: str, at: datetime, *, alert_id: int | None = None,
        case_id: int | None = None, note: str | None = None, **data: Any) -> None:
    """Append one event (in the caller's transaction)."""
    conn.execute(insert(_EV).values(at=at, actor=actor, kind=kind, alert_id=alert_id, case_id=case_id,
                                    note=note, data=json.dumps(data, default=str, sort_keys=True)))


def for_alert(conn: Connection, alert_id: int, limit: int = MAX_EVENTS) -> list[Event]:
    """The alert's events, oldest first."""
    rows = conn.execute(select(_EV).where(_EV.c.alert_id == alert_id).order_by(_EV.c.id).limit(limit)).all()
    return [_event(r) for r in rows]


def for_case(conn: Connection, case_id: int, limit: int = MAX_EVENTS) -> list[Event]:
    """The case's own events and those of every alert in it, oldest first."""
    alert_ids = select(_AL.c.id).where(_AL.c.case_id == case_id).scalar_subquery()
    rows = conn.execute(select(_EV).where(or_(_EV.c.case_id == case_id, _EV.c.alert_id.in_(alert_ids)))
                        .order_by(_EV.c.id).limit(limit)).all()
    return [_event(r) for r in rows]


def _event(row: Any) -> Event:
    return Event(row.id, row.at, row.actor, row.kind, row.alert_id, row.case_id, row.note,
                 json.loads(row.data or "{}"))


_TEXT = {
    "raised": "alert raised: score {score}, {band} band",
    "claimed": "claimed by {actor}",
    "released": "released by {actor}{why}",
    "reassigned": "reassigned from {from_} to {to}",
    "disposition": "{outcome_words} by {actor}{money}",
    "escalated": "escalated to a supervisor by {actor}",
    "sla_breach": "SLA breached (due {due}): overdue, the supervisors were told; analysts may still work it",
    "snoozed": "snoozed by {actor} until {until}",
    "note": "note by {actor}",
    "hold_resolved": "hold {state} elsewhere by {actor}: alert closed",
    "case_opened": "case opened by {actor}: {title}",
    "case_alert": "alert #{alert} added to case #{case} by {actor}",
    "case_status": "case {status} by {actor}{outcome_suffix}",
    "case_merged": "case #{source} merged into case #{target} by {actor}",
    "file_added": "file {name} ({size} bytes) added by {actor}",
    "suppressed": "rule '{rule}' suppressed for {label} until {until} by {actor}",
    "freeze_requested": "freeze of account {account} requested by {actor} (needs a supervisor)",
    "sar_drafted": "suspicious-activity report draft made by {actor}",
}
_OUTCOME_WORDS = {"TRUE_POSITIVE": "confirmed fraud", "FALSE_POSITIVE": "false positive",
                  "INCONCLUSIVE": "inconclusive"}
_MONEY = {"voided": ": hold voided", "posted": ": hold posted", "corrected": ": payment reversed",
          "held": ": funds stay held"}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _time(value: object, zone: tzinfo) -> str:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is None:  # a date
        return str(value)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def describe(event: Event, zone: tzinfo = timezone.utc) -> str:
    """One event in plain words, times in ``zone`` (the note, if any, is shown separately)."""
    data = _Blank({k: _time(v, zone) if k in ("due", "until") and v else v for k, v in event.data.items()})
    data.update(actor=event.actor, from_=event.data.get("from", ""),
                outcome_words=_OUTCOME_WORDS.get(event.data.get("outcome", ""), event.data.get("outcome", "")),
                money=_MONEY.get(event.data.get("money", ""), ""),
                why=f" ({event.data['why']})" if event.data.get("why") else "",
                outcome_suffix=f" ({_OUTCOME_WORDS.get(event.data['outcome'], event.data['outcome'])})"
                if event.data.get("outcome") else "")
    template = _TEXT.get(event.kind)
    return template.format_map(data) if template else event.kind.replace("_", " ")
