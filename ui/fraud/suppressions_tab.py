"""Suppressions in force (or all of them): which rule is snoozed for which card or counterparty, until
when, by whom, and how many payments it let through; end one early."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from app.zone import local
from core.cases.rules import title
from core.cases.suppressions import MAX_DAYS
from core.persistence.base import utcnow
from core.security.roles import Actor, Permission
from ui.columns import Column
from ui.errors import confirm
from ui.fraud.detail import time_width
from ui.layout import table_view
from ui.rows_model import RowsModel

COLUMNS = (Column("#", lambda s: str(s.id), align_right=True), Column("Rule", lambda s: title(s.rule)),
           Column("For", lambda s: s.label), Column("Until", lambda s: local(s.until)),
           Column("By", lambda s: s.created_by), Column("Hits", lambda s: str(s.hits), align_right=True),
           Column("State", lambda s: "revoked" if s.revoked_at else ("active" if s.active(utcnow()) else "expired")),
           Column("Note", lambda s: s.note))


class SuppressionsTab(QWidget):
    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self.show_all = QCheckBox("Show &ended ones too")
        self.show_all.toggled.connect(lambda _on: self.refresh())
        self.revoke_button = QPushButton("End &now…")
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self.revoke)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(f"A false positive can snooze one rule for one card or counterparty for up to {MAX_DAYS} "
                             "days; the fraud screen then scores that party's payments without it.",
                             objectName="muted", wordWrap=True), 1)
        bar.addWidget(self.show_all)
        bar.addWidget(self.revoke_button)
        self.model = RowsModel(COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        for i, w in enumerate((40, 200, 230, time_width(self.table), 70, 50, 70)):
            self.table.setColumnWidth(i, w)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 6, 0, 0)
        root.addLayout(bar)
        root.addWidget(self.table, 1)

    def refresh(self) -> None:
        desk, actor, everything = self.services.fraud, self.actor, self.show_all.isChecked()
        Op(self, lambda _t: desk.suppressions(actor, active_only=not everything)).success(
            self._loaded).run_in_background()

    def _loaded(self, rows: list) -> None:
        self.model.set_rows(rows)
        self._update()

    def selected(self):  # noqa: ANN201
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _update(self) -> None:
        s = self.selected()
        self.revoke_button.setEnabled(s is not None and s.active(utcnow())
                                      and self.actor.can(Permission.ALERT_DISPOSITION))

    def revoke(self) -> None:
        s = self.selected()
        if s is None:
            return
        desk, actor = self.services.fraud, self.actor

        def go() -> None:
            Op(self, lambda _t: desk.revoke_suppression(actor, s.id)).success(lambda _r: self.refresh()).run_in_background()

        confirm(self, "End suppression", f"End the suppression of '{title(s.rule)}' for {s.label} now? The screen "
                                         "will flag such payments again.", go)
