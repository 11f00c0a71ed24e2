"""``CaseBook``: case work for analysts and supervisors, permission-checked and audited in core.

Reads need ALERT_VIEW, changes ALERT_DISPOSITION; each change is one transaction with its audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from core.cases import cases, files, timeline
from core.cases.cases import CaseView
from core.cases.files import FileInfo
from core.cases.queue import AlertRow, row_from
from core.persistence.models import FraudAlert
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.cases.service import FraudDesk

_AL = FraudAlert.__table__


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    alerts: tuple[AlertRow, ...]
    events: tuple[timeline.Event, ...]
    files: tuple[FileInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case.to_dict(), "alerts": [a.to_dict() for a in self.alerts],
                "events": [e.to_dict() for e in self.events], "files": [f.to_dict() for f in self.files]}


class CaseBook:
    def __init__(self, desk: "FraudDesk") -> None:
        self.desk = desk

    def _read(self, actor: Actor, target: str, work: Any) -> Any:
        self.desk._authorize(actor, Permission.ALERT_VIEW, target)
        return self.desk._read(work)

    def _write(self, actor: Actor, target: str, action: str, work: Any, after: Any = None) -> Any:
        self.desk._authorize(actor, Permission.ALERT_DISPOSITION, target)

        def run(conn: Connection, now: datetime) -> Any:
            result = work(conn, now)
            self.desk.ledger.record(conn, actor, action, target if target != "cases" else f"case:{_id(result)}",
                                    None, after(result) if after else None)
            return result

        return self.desk._write(run)

    # -- reading ------------------------------------------------------------------------------------------
    def list(self, actor: Actor, status: str = "active", text: str | None = None, offset: int = 0,
             limit: int = 100) -> list[CaseView]:
        return self._read(actor, "cases", lambda conn, _now: cases.listing(conn, status, text, offset, limit))

    def count(self, actor: Actor, status: str = "active", text: str | None = None) -> int:
        return self._read(actor, "cases", lambda conn, _now: cases.count(conn, status, text))

    def detail(self, actor: Actor, case_id: int) -> CaseDetail:
        def work(conn: Connection, now: datetime) -> CaseDetail:
            case = cases.get(conn, case_id)
            rows = conn.execute(select(_AL).where(_AL.c.case_id == case_id).order_by(_AL.c.created_at)).all()
            return CaseDetail(case, tuple(row_from(r, now) for r in rows), tuple(timeline.for_case(conn, case_id)),
                              tuple(files.listing(conn, case_id)))

        return self._read(actor, f"case:{case_id}", work)

    def file(self, actor: Actor, file_id: int) -> tuple[FileInfo, bytes]:
        return self._read(actor, f"case-file:{file_id}", lambda conn, _now: files.content(conn, file_id))

    # -- changing -----------------------------------------------------------------------------------------
    def open(self, actor: Actor, title: str, alert_ids: list[int] | tuple[int, ...] = ()) -> CaseView:
        """A new case (optionally with alerts in it); the actor investigates it."""
        return self._write(actor, "cases", "case.open",
                           lambda conn, now: cases.get(conn, cases.open_case(conn, actor.username, title,
                                                                             list(alert_ids), now)),
                           lambda c: {"title": c.title, "alerts": list(alert_ids)})

    def add_alerts(self, actor: Actor, case_id: int, alert_ids: list[int]) -> CaseView:
        return self._write(actor, f"case:{case_id}", "case.add_alerts",
                           lambda conn, now: cases.add_alerts(conn, actor.username, case_id, list(alert_ids), now),
                           lambda _c: {"alerts": list(alert_ids)})

    def note(self, actor: Actor, case_id: int, text: str) -> CaseView:
        return self._write(actor, f"case:{case_id}", "case.note",
                           lambda conn, now: cases.note(conn, actor.username, case_id, text, now),
                           lambda _c: {"note": (text or "").strip()})

    def start(self, actor: Actor, case_id: int) -> CaseView:
        return self._write(actor, f"case:{case_id}", "case.investigate",
                           lambda conn, now: cases.start(conn, actor.username, case_id, now),
                           lambda c: {"status": c.status, "assignee": c.assignee})

    def close(self, actor: Actor, case_id: int, outcome: str, note: str) -> CaseView:
        return self._write(actor, f"case:{case_id}", "case.resolve",
                           lambda conn, now: cases.close(conn, actor.username, case_id, outcome, note, now),
                           lambda c: {"status": c.status, "outcome": c.outcome, "note": note.strip()})

    def reopen(self, actor: Actor, case_id: int, note: str) -> CaseView:
        return self._write(actor, f"case:{case_id}", "case.reopen",
                           lambda conn, now: cases.reopen(conn, actor.username, case_id, note, now),
                           lambda c: {"status": c.status, "note": note.strip()})

    def merge(self, actor: Actor, target_id: int, source_id: int, note: str) -> CaseView:
        return self._write(actor, f"case:{target_id}", "case.merge",
                           lambda conn, now: cases.merge(conn, actor.username, target_id, source_id, note, now),
                           lambda _c: {"merged": source_id, "note": note.strip()})

    def attach(self, actor: Actor, case_id: int, name: str, data: bytes, mime: str | None = None) -> FileInfo:
        return self._write(actor, f"case:{case_id}", "case.file",
                           lambda conn, now: files.add(conn, actor.username, case_id, name, data, now, mime),
                           lambda f: {"file": f.id, "name": f.name, "size": f.size, "sha256": f.sha256})

    def sar_draft(self, actor: Actor, case_id: int, zone: tzinfo = timezone.utc) -> bytes:
        """A suspicious-activity report draft (PDF) of a confirmed-fraud case; audited as made."""
        from core.cases import sar

        return self._write(actor, f"case:{case_id}", "case.sar_draft",
                           lambda conn, now: sar.draft(conn, actor.username, case_id, now, zone),
                           lambda data: {"bytes": len(data)})


def _id(result: Any) -> object:
    return getattr(result, "id", "?")
