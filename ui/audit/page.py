"""The audit viewer (supervisor, admin): filter by user, action and date; verify the signed chain (admin)."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

from PySide6.QtCore import QDate, QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSplitter,
    QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.security.audit import AuditRecord, VerifyReport
from core.security.roles import Actor, Permission
from ui.columns import Column
from ui.dates import ANY_DATE, OptionalDateEdit, plural
from ui.errors import notify, show_error
from ui.layout import page_header, share, table_view
from ui.lazy_model import LazyTableModel

ALL_ACTIONS = "All actions"

AUDIT_COLUMNS = (
    Column("When", lambda r: r.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
    Column("User", lambda r: r.actor),
    Column("Role", lambda r: r.role),
    Column("Action", lambda r: r.action),
    Column("Target", lambda r: r.target),
    Column("Change", lambda r: _change(r)),
    Column("Chain", lambda r: f"#{r.seq}" if r.seq is not None else "unsealed"),
)
CHANGE = 5  # the column that takes the room: long, read whole in its tooltip or the pane below


def _change(record: AuditRecord) -> str:
    """``key: old → new`` for what changed; just ``key=value`` when there was no before."""
    before, after = record.before or {}, record.after or {}
    if not before:
        return ", ".join(f"{k}={v}" for k, v in after.items())
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return ", ".join(f"{k}: {before.get(k, '—')} → {after.get(k, '—')}" for k in keys)


def _json(value: dict | None) -> str:
    return "(nothing)" if value is None else json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


def _date_edit() -> QDateEdit:
    return OptionalDateEdit()  # its calendar opens on this month, not on January 2000


def _utc_start(day: QDate) -> datetime | None:
    """Local midnight at the start of ``day`` as UTC, or None for "any"."""
    if day == ANY_DATE:
        return None
    local = datetime.combine(date(day.year(), day.month(), day.day()), time()).astimezone()
    return local.astimezone(timezone.utc)


class AuditPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.user = QLineEdit(placeholderText="any user", clearButtonEnabled=True)
        self.action = QComboBox(editable=True)
        self.action.addItem(ALL_ACTIONS)
        self.action.lineEdit().setPlaceholderText("action or prefix, e.g. login")
        self.since = _date_edit()
        self.until = _date_edit()
        self.apply_button = QPushButton("Apply filter", objectName="primary", default=True)
        self.apply_button.clicked.connect(self.apply_filter)
        self.user.returnPressed.connect(self.apply_filter)
        self.action.lineEdit().returnPressed.connect(self.apply_filter)
        self.verify_button = QPushButton("Verify chain…")
        self.verify_button.setToolTip("Check every hash and ML-DSA-65 signature of the audit trail")
        self.verify_button.setVisible(actor.can(Permission.AUDIT_VERIFY))
        self.verify_button.clicked.connect(self.verify)

        filters = QHBoxLayout()
        for label, widget, stretch in (("User", self.user, 2), ("Action", self.action, 2),
                                       ("From", self.since, 1), ("To", self.until, 1)):
            filters.addWidget(QLabel(label, objectName="muted"))
            filters.addWidget(widget, stretch)
        filters.addWidget(self.apply_button)
        filters.addStretch(0)
        filters.addWidget(self.verify_button)

        self.model = LazyTableModel(AUDIT_COLUMNS, *self._query(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.model.loaded.connect(self._counted)
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((150, 120, 85, 130, 120, 300, 80)):
            self.table.setColumnWidth(column, width)
        header = self.table.horizontalHeader()  # Change takes the room (not Chain); cut, it ends in "…" and
        header.setStretchLastSection(False)  # shows whole in its tooltip and in the pane below
        header.setSectionResizeMode(CHANGE, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._show_detail)
        self.detail = QPlainTextEdit(readOnly=True, placeholderText="Select an entry to see its before and after")
        self.count_label = QLabel("", objectName="muted")

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        share(split, 24, 7)  # the list over its entry's change, at any window size
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addWidget(page_header("Audit", "Every state-changing action, newest first. Entries are hash-chained "
                                            "and signed with ML-DSA-65 when sealed."))
        root.addLayout(filters)
        root.addWidget(split, 1)
        root.addWidget(self.count_label)
        self.last_report: VerifyReport | None = None
        self.refresh()

    def _filters(self) -> dict:
        action = self.action.currentText().strip()
        until = _utc_start(self.until.date().addDays(1)) if self.until.date() != ANY_DATE else None
        return {"user": self.user.text().strip() or None,
                "action": None if action in ("", ALL_ACTIONS) else action,
                "since": _utc_start(self.since.date()), "until": until}

    def _query(self):  # noqa: ANN202
        audit, engine, actor, filters = self.services.audit, self.services.engine, self.actor, self._filters()
        return (lambda: audit.count(engine, actor, **filters),
                lambda offset, limit: audit.query(engine, actor, offset=offset, limit=limit, **filters))

    def apply_filter(self) -> None:
        self.detail.clear()
        self.model.reload(*self._query())

    def refresh(self) -> None:
        """Reload the action list and the entries (F5)."""
        audit, engine, actor = self.services.audit, self.services.engine, self.actor
        Op(self, lambda _task: audit.actions(engine, actor)).success(self._set_actions).run_in_background()
        self.apply_filter()

    def _set_actions(self, actions: list[str]) -> None:
        current = self.action.currentText()
        self.action.blockSignals(True)
        self.action.clear()
        self.action.addItems([ALL_ACTIONS, *actions])
        self.action.setCurrentText(current)
        self.action.blockSignals(False)

    def _counted(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} entr{'y' if n == 1 else 'ies'} match")

    def _show_detail(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        record = self.model.row_object(rows[0].row()) if rows else None
        if record is None:
            return
        change = _change(record)
        self.detail.setPlainText(
            f"{record.action} on {record.target or '—'} by {record.actor} ({record.role})"
            f"{' at ' + record.device if record.device else ''}, {record.at.isoformat()}\n"
            f"{'change: ' + change + chr(10) if change else ''}"
            f"before: {_json(record.before)}\n"
            f"after:  {_json(record.after)}")

    def verify(self) -> None:
        audit, engine, actor = self.services.audit, self.services.engine, self.actor
        self.verify_button.setEnabled(False)
        (Op(self, lambda _task: audit.verify(engine, actor)).with_progress("Verifying the audit trail…")
         .success(self._verified).failure(self._verify_failed).run_in_background())

    def _verify_failed(self, err: Exception) -> None:
        self.verify_button.setEnabled(True)
        show_error(self, err)

    def _verified(self, report: VerifyReport) -> None:
        self.verify_button.setEnabled(True)
        self.last_report = report
        unsealed = (f"\n{plural(report.unsealed, 'newer entry', 'newer entries')} "
                    f"{'is' if report.unsealed == 1 else 'are'} not sealed yet.") if report.unsealed else ""
        if report.ok:
            notify(self, "Audit trail intact",
                                    f"{plural(report.entries, 'sealed entry', 'sealed entries')} in "
                                    f"{plural(report.batches, 'signed batch', 'signed batches')} check out.{unsealed}")
            return
        first = report.first_problem
        notify(self, "Audit trail damaged",
                            f"{plural(len(report.problems), 'problem')}. First: {first.kind} at chain position "
                            f"{first.seq} (entry {first.entry_id}): {first.message}{unsealed}", warning=True)
