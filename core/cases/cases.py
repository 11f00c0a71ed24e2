"""Cases: related alerts worked together, from open through investigating to resolved with an outcome.

A case has a title, its alerts (an alert belongs to one case at most), notes, files and a timeline of
every event (its own and its alerts'). Resolving needs an outcome and a note, and no open alert left
(decide them first, one by one or as a batch). A resolved case can be reopened. Merging moves one
case's alerts, notes and files into another and marks it merged (TheHive's case merge).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from core.cases import live, timeline
from core.cases.claims import fetch as fetch_alert
from core.cases.claims import require_note, require_reason
from core.cases.errors import CaseClosed, CaseNotFound
from core.cases.holds import touch_case as _touch
from core.cases.queue import id_in
from core.errors import ValidationError
from core.persistence.models import CaseFile, FraudAlert, FraudCase, FraudEvent
from core.words import counted

_CASE, _AL, _EV, _FILE = FraudCase.__table__, FraudAlert.__table__, FraudEvent.__table__, CaseFile.__table__
OUTCOMES = ("TRUE_POSITIVE", "FALSE_POSITIVE", "INCONCLUSIVE")
STATUSES = ("active", "open", "investigating", "resolved", "merged", "all")
MAX_TITLE = 200


@dataclass(frozen=True)
class CaseView:
    id: int
    title: str
    status: str
    outcome: str | None
    customer_id: int | None
    assignee: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    merged_into: int | None
    alerts: int
    open_alerts: int

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def _alert_counts() -> tuple[Any, Any]:
    total = select(func.count()).where(_AL.c.case_id == _CASE.c.id).scalar_subquery()
    active = select(func.count()).where(_AL.c.case_id == _CASE.c.id, _AL.c.status != "closed").scalar_subquery()
    return total, active


def _view(row: Any) -> CaseView:
    return CaseView(row.id, row.title, row.status, row.outcome, row.customer_id, row.assignee, row.created_by,
                    row.created_at, row.updated_at, row.resolved_at, row.resolved_by, row.merged_into,
                    int(row.n_alerts or 0), int(row.n_open or 0))


def _select() -> Any:
    total, active = _alert_counts()
    return select(_CASE, total.label("n_alerts"), active.label("n_open"))


def get(conn: Connection, case_id: int) -> CaseView:
    row = conn.execute(_select().where(_CASE.c.id == case_id)).first()
    if row is None:
        raise CaseNotFound(f"no case #{case_id}; list cases with 'qenex cases list'", case_id=case_id)
    return _view(row)


def listing(conn: Connection, status: str = "active", text: str | None = None, offset: int = 0,
            limit: int = 100) -> list[CaseView]:
    return [_view(r) for r in conn.execute(_filtered(_select(), status, text).order_by(_CASE.c.updated_at.desc(),
                                                                                        _CASE.c.id.desc())
                                           .offset(offset).limit(limit))]


def count(conn: Connection, status: str = "active", text: str | None = None) -> int:
    return conn.execute(_filtered(select(func.count()).select_from(_CASE), status, text)).scalar_one()


def _filtered(query: Any, status: str, text: str | None) -> Any:
    if status not in STATUSES:
        raise ValidationError(f"case status must be one of {', '.join(STATUSES)}, not {status!r}")
    if status == "active":
        query = query.where(_CASE.c.status.in_(("open", "investigating")))
    elif status != "all":
        query = query.where(_CASE.c.status == status)
    if text and text.strip():
        t = text.strip()
        conds = [func.lower(_CASE.c.title).like(f"%{t.lower().replace('%', '')}%")]
        if (number := id_in(t)) is not None:
            conds.append(_CASE.c.id == number)
        query = query.where(or_(*conds))
    return query


def open_case(conn: Connection, actor: str, title: str, alert_ids: list[int], now: datetime) -> int:
    """A new case titled ``title`` holding ``alert_ids`` (each in no other case). Returns its id."""
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise ValidationError(f"a case needs a title of 1 to {MAX_TITLE} characters (what is it about?)")
    rows = [_free_alert(conn, a) for a in dict.fromkeys(alert_ids)]
    customers = {r.customer_id for r in rows if r.customer_id is not None}
    case_id = conn.execute(_CASE.insert().values(
        title=title, status="open", customer_id=customers.pop() if len(customers) == 1 else None, assignee=actor,
        created_by=actor, created_at=now, updated_at=now).returning(_CASE.c.id)).scalar_one()
    timeline.add(conn, actor, "case_opened", now, case_id=case_id, title=title)
    for row in rows:
        _attach(conn, actor, case_id, row.id, now)
    live.publish(conn, live.CASE_UPDATED, {"case_id": case_id})
    return case_id


def add_alerts(conn: Connection, actor: str, case_id: int, alert_ids: list[int], now: datetime) -> CaseView:
    case = require_active(conn, case_id)
    if not alert_ids:
        raise ValidationError("name at least one alert to add to the case")
    for alert_id in dict.fromkeys(alert_ids):
        row = fetch_alert(conn, alert_id)
        if row.case_id == case.id:
            continue
        _free_alert(conn, alert_id)
        _attach(conn, actor, case.id, alert_id, now)
    _touch(conn, case.id, now)
    return get(conn, case.id)


def note(conn: Connection, actor: str, case_id: int, text: str, now: datetime) -> CaseView:
    body = require_note(text, "a case note")
    case = get(conn, case_id)
    if case.status == "merged":
        raise CaseClosed(f"case #{case_id} was merged into case #{case.merged_into}; write there")
    timeline.add(conn, actor, "note", now, case_id=case_id, note=body)
    if case.status == "open":
        _set(conn, actor, case_id, "investigating", now)
    _touch(conn, case_id, now)
    return get(conn, case_id)


def start(conn: Connection, actor: str, case_id: int, now: datetime) -> CaseView:
    """open → investigating, with ``actor`` as the case's investigator."""
    case = require_active(conn, case_id)
    if case.status == "investigating" and case.assignee == actor:
        return case
    _set(conn, actor, case_id, "investigating", now)
    _touch(conn, case_id, now)
    return get(conn, case_id)


def close(conn: Connection, actor: str, case_id: int, outcome: str, text: str, now: datetime) -> CaseView:
    """Resolve with ``outcome`` (TRUE_POSITIVE | FALSE_POSITIVE | INCONCLUSIVE); needs a note and no open alert."""
    outcome = (outcome or "").strip().upper().replace("-", "_")
    outcome = {"CONFIRMED": "TRUE_POSITIVE", "FRAUD": "TRUE_POSITIVE", "LEGIT": "FALSE_POSITIVE"}.get(outcome, outcome)
    if outcome not in OUTCOMES:
        raise ValidationError(f"a case is resolved as one of {', '.join(OUTCOMES)} (or confirmed, false-positive, "
                              f"inconclusive), not {outcome.lower()!r}")
    body = require_reason(text, "resolving a case")
    case = require_active(conn, case_id)
    waiting = list(conn.scalars(select(_AL.c.id).where(_AL.c.case_id == case_id, _AL.c.status != "closed")
                                .order_by(_AL.c.id)))
    if waiting:
        listed = ", ".join(f"#{a}" for a in waiting[:10])
        raise ValidationError(f"case #{case_id} still has {counted(len(waiting), 'open alert')} ({listed}); "
                              "decide them first (they hold customers' money)", case_id=case_id)
    conn.execute(update(_CASE).where(_CASE.c.id == case.id).values(
        status="resolved", outcome=outcome, resolved_at=now, resolved_by=actor, updated_at=now))
    timeline.add(conn, actor, "case_status", now, case_id=case_id, status="resolved", outcome=outcome, note=body)
    live.publish(conn, live.CASE_UPDATED, {"case_id": case_id, "status": "resolved"})
    return get(conn, case_id)


def reopen(conn: Connection, actor: str, case_id: int, text: str, now: datetime) -> CaseView:
    body = require_reason(text, "reopening a case")
    case = get(conn, case_id)
    if case.status != "resolved":
        raise ValidationError(f"case #{case_id} is {case.status}; only a resolved case is reopened")
    conn.execute(update(_CASE).where(_CASE.c.id == case_id).values(
        status="investigating", outcome=None, resolved_at=None, resolved_by=None, assignee=actor, updated_at=now))
    timeline.add(conn, actor, "case_status", now, case_id=case_id, status="reopened", note=body)
    live.publish(conn, live.CASE_UPDATED, {"case_id": case_id})
    return get(conn, case_id)


def merge(conn: Connection, actor: str, target_id: int, source_id: int, text: str, now: datetime) -> CaseView:
    """Move ``source_id``'s alerts, notes and files into ``target_id``; the source is marked merged."""
    body = require_reason(text, "merging cases")
    if target_id == source_id:
        raise ValidationError("a case cannot be merged into itself")
    target, source = require_active(conn, target_id), get(conn, source_id)
    if source.status == "merged":
        raise CaseClosed(f"case #{source_id} was already merged into case #{source.merged_into}")
    conn.execute(update(_AL).where(_AL.c.case_id == source_id).values(case_id=target.id))
    conn.execute(update(_EV).where(_EV.c.case_id == source_id).values(case_id=target.id))
    conn.execute(update(_FILE).where(_FILE.c.case_id == source_id).values(case_id=target.id))
    conn.execute(update(_CASE).where(_CASE.c.id == source_id).values(status="merged", merged_into=target.id,
                                                                     updated_at=now))
    for case_id in (target.id, source_id):
        timeline.add(conn, actor, "case_merged", now, case_id=case_id, source=source_id, target=target.id, note=body)
        live.publish(conn, live.CASE_UPDATED, {"case_id": case_id})
    _touch(conn, target.id, now)
    return get(conn, target.id)


def require_active(conn: Connection, case_id: int) -> CaseView:
    case = get(conn, case_id)
    if case.status == "merged":
        raise CaseClosed(f"case #{case_id} was merged into case #{case.merged_into}; work on that case")
    if case.status == "resolved":
        raise CaseClosed(f"case #{case_id} is resolved ({case.outcome}); reopen it first")
    return case


def _free_alert(conn: Connection, alert_id: int) -> Any:
    row = fetch_alert(conn, alert_id)
    if row.case_id is not None:
        raise ValidationError(f"alert #{alert_id} is already in case #{row.case_id}; merge the cases instead",
                              alert_id=alert_id, case_id=row.case_id)
    return row


def _attach(conn: Connection, actor: str, case_id: int, alert_id: int, now: datetime) -> None:
    conn.execute(update(_AL).where(_AL.c.id == alert_id).values(case_id=case_id, updated_at=now, updated_by=actor))
    timeline.add(conn, actor, "case_alert", now, case_id=case_id, alert=alert_id, case=case_id)
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "case_id": case_id})


def _set(conn: Connection, actor: str, case_id: int, status: str, now: datetime) -> None:
    conn.execute(update(_CASE).where(_CASE.c.id == case_id).values(status=status, assignee=actor, updated_at=now))
    timeline.add(conn, actor, "case_status", now, case_id=case_id, status=status)
