"""The queue's filter bar: status, score band, rule, channel, assignee, amount range and a search box.

Emits ``changed(AlertFilter)`` (typing is debounced); a bad amount marks its field invalid and keeps the
last good filter. Keyboard: Alt+E state, Alt+B band, Alt+L rule, Alt+G assignee, Alt+M amount, Alt+F find (Alt+S, Alt+V and
Alt+H belong to the menu bar).
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from core.cases.queue import AlertFilter
from core.cases.rules import RULES
from core.errors import ValidationError
from core.fraud.txn import CHANNELS

TYPING_DELAY_MS = 300
STATUSES = (("Active (open and escalated)", "active"), ("Open, not snoozed", "open"), ("Claimed by me", "mine"),
            ("Snoozed", "snoozed"), ("Escalated (supervisors only)", "escalated"),
            ("Overdue (past SLA, still open to analysts)", "overdue"), ("Escalated or overdue", "supervise"),
            ("Closed", "closed"),
            ("All", "all"))


class FilterBar(QWidget):
    changed = Signal(object)  # AlertFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = AlertFilter()
        self.status = self._combo(STATUSES)
        self.band = self._combo([("Any band", None), ("high", "high"), ("medium", "medium"), ("low", "low")])
        self.rule = self._combo([("Any rule", None), *((text, key) for key, text in RULES.items())])
        self.channel = self._combo([("Any channel", None), *((c, c) for c in CHANNELS)])
        self.assignee = self._combo([("Anyone", None), ("Me", "me"), ("Unassigned", "unassigned")])
        self.min_amount = QLineEdit(placeholderText="from", clearButtonEnabled=True)
        self.max_amount = QLineEdit(placeholderText="to", clearButtonEnabled=True)
        self.search = QLineEdit(placeholderText="Customer, account, transfer id, counterparty or #alert",
                                clearButtonEnabled=True)
        for field in (self.min_amount, self.max_amount):
            field.setFixedWidth(80)
        self._typing = QTimer(self, singleShot=True, interval=TYPING_DELAY_MS, timeout=self._emit)
        for field in (self.min_amount, self.max_amount, self.search):
            field.textChanged.connect(lambda _t: self._typing.start())
        for combo in (self.status, self.band, self.rule, self.channel, self.assignee):
            combo.currentIndexChanged.connect(lambda _i: self._emit())

        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        row0 = (("Stat&e", self.status), ("&Band", self.band), ("Ru&le", self.rule), ("Channel", self.channel))
        row1 = (("Assi&gnee", self.assignee), ("A&mount", self.min_amount), ("–", self.max_amount),
                ("&Find", self.search))
        for items in (row0, row1):
            line = QHBoxLayout()
            line.setSpacing(6)
            for text, widget in items:
                label = QLabel(text)
                label.setBuddy(widget)
                line.addWidget(label)
                line.addWidget(widget, 1 if widget is self.search else 0)
            if items is row0:
                line.addStretch(1)
            rows.addLayout(line)

    @staticmethod
    def _combo(items) -> QComboBox:  # noqa: ANN001
        box = QComboBox()
        for text, value in items:
            box.addItem(text, value)
        return box

    def set_bands(self, names: list[str]) -> None:
        """Offer the SLA bands configured in the database."""
        current = self.band.currentData()
        self.band.blockSignals(True)
        self.band.clear()
        self.band.addItem("Any band", None)
        for name in names:
            self.band.addItem(name, name)
        self.band.setCurrentIndex(max(0, self.band.findData(current)))
        self.band.blockSignals(False)

    def set_assignees(self, names: list[str]) -> None:
        current = self.assignee.currentData()
        self.assignee.blockSignals(True)
        while self.assignee.count() > 3:
            self.assignee.removeItem(3)
        for name in names:
            self.assignee.addItem(name, name)
        self.assignee.setCurrentIndex(max(0, self.assignee.findData(current)))
        self.assignee.blockSignals(False)

    def set_status(self, status: str) -> None:
        self.status.setCurrentIndex(max(0, self.status.findData(status)))

    def set_sort(self, sort: str, reverse: bool = False) -> None:
        """Keep the filters, change the order (a header click; ``reverse``: a second click, backwards)."""
        self.current = replace(self.current, sort=sort, reverse=reverse)
        self.changed.emit(self.current)

    def _emit(self) -> None:
        values = dict(status=self.status.currentData(), band=self.band.currentData(), rule=self.rule.currentData(),
                      channel=self.channel.currentData(), assignee=self.assignee.currentData(),
                      text=self.search.text().strip() or None, sort=self.current.sort,
                      reverse=self.current.reverse)
        bad = False
        for name, field in (("min_amount", self.min_amount), ("max_amount", self.max_amount)):
            text = field.text().strip() or None
            try:
                AlertFilter(**{name: text})
                field.setProperty("invalid", False)
                field.setToolTip("")
                values[name] = text
            except ValidationError as err:
                field.setProperty("invalid", True)
                field.setToolTip(err.message)
                bad = True
            field.style().unpolish(field)
            field.style().polish(field)
        if bad:
            return
        self.current = AlertFilter(**values)
        self.changed.emit(self.current)
