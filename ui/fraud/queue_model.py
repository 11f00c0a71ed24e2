"""The alert queue's table model: lazy pages of ``AlertRow`` with the queue's columns, sorting by header
click (the database sorts: every page comes in the same order), and overdue, escalated and own alerts
standing out. Times are shown in the operator's time zone; the "Raised" header names the zone.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QGuiApplication

from app.zone import local, operator_zone
from core.cases.queue import AlertRow
from core.cases.rules import title
from core.ledger.money import format_minor
from core.persistence.base import utcnow
from core.words import duration
from ui.columns import Column
from ui.lazy_model import LazyTableModel


def span(seconds: float) -> str:
    """``3 d 4 h``, ``2 h 05 min``, ``7 min``, ``less than 1 min`` (core.words.duration: never "0 min")."""
    return duration(max(seconds, 0.0))


def sla_text(a: AlertRow, now: datetime | None = None) -> str:
    now = now or utcnow()
    if a.status == "closed":
        return (a.outcome or a.resolution or "closed").replace("_", " ").lower()
    left = (a.due_at - now).total_seconds()
    return f"overdue {span(-left)}" if left < 0 else f"due in {span(left)}"


def amount_text(a: AlertRow) -> str:
    return format_minor(a.amount, a.currency) if a.amount is not None and a.currency else "—"


def state_text(a: AlertRow, now: datetime | None = None) -> str:
    """The alert's own state (open, claimed, snoozed, escalated, closed); being overdue is marked apart, in the
    SLA column ("overdue 2 h 10 min", red), so an overdue alert still says whether someone holds it."""
    return a.state(now or utcnow())


class ShownAlert:
    """An ``AlertRow`` with its fixed cell texts rendered on the worker (formatting money and times in the
    operator's zone costs the UI thread nothing); every other attribute is the alert's own."""

    __slots__ = ("alert", "texts")

    def __init__(self, alert: AlertRow) -> None:
        self.alert = alert
        self.texts = (f"#{alert.id}", local(alert.created_at, named=False), f"{alert.score:.2f}",
                      alert.customer_name or "—", alert.account or "—", amount_text(alert), alert.channel or "—",
                      alert.reasons_summary or title(alert.rule))

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.alert, name)


def shown(rows: list[AlertRow]) -> list[ShownAlert]:
    """Render a page of alerts (call on the worker)."""
    return [ShownAlert(a) for a in rows]


def _age(a) -> str:  # noqa: ANN001
    return span((utcnow() - a.created_at).total_seconds())


# (column, sort key the database understands or None when the column does not sort, whether that order
# (core.cases.queue.SORTS) runs the column's values from largest down: its header arrow, ui.layout.sort_arrow)
COLUMNS: tuple[tuple[Column, str | None, bool], ...] = (
    (Column("Alert", lambda a: a.texts[0], align_right=True), "newest", True),
    (Column("Raised", lambda a: a.texts[1]), "oldest", False),
    (Column("Age", _age), "oldest", True),  # oldest first: the longest age on top
    (Column("SLA", sla_text), "due", False),  # the least time left first
    (Column("Score", lambda a: a.texts[2], align_right=True), "score", True),
    (Column("Status", state_text), None, False),
    (Column("Assignee", lambda a: a.assignee or ""), "assignee", False),
    (Column("Customer", lambda a: a.texts[3]), "customer", False),
    (Column("Account", lambda a: a.texts[4]), None, False),
    (Column("Amount", lambda a: a.texts[5], align_right=True), "amount", True),
    (Column("Channel", lambda a: a.texts[6]), "channel", False),
    (Column("Why", lambda a: a.texts[7]), "rule", False),
)


def _dark() -> bool:
    app = QGuiApplication.instance()
    return app is not None and app.palette().window().color().lightness() < 128


class AlertQueueModel(LazyTableModel):
    """``sort_requested(key)`` asks the page to reload in another order (the database sorts; ``reverse`` says
    whether backwards); a click on a column that does not sort asks with "" (the page puts the arrow back on the
    order shown)."""

    sort_requested = Signal(str)

    def __init__(self, viewer: str, count: Callable[[], int], fetch: Callable[[int, int], list],
                 parent: QObject | None = None) -> None:
        super().__init__([c for c, _k, _d in COLUMNS], count, fetch, parent)
        self.viewer = viewer
        self._sorts = [key for _c, key, _d in COLUMNS]
        self.clicked = -1  # the header last clicked: Raised and Age both sort oldest first
        self.reverse = False  # its order runs backwards (clicked twice)
        self._bold = QFont()
        self._bold.setBold(True)
        self._dark, self._dark_at = False, 0.0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and section == 1:
            return f"Raised ({datetime.now(operator_zone()).tzname()})"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            key = self._sorts[section]
            return f"Sort by {key}" if key else "This column does not sort"
        return super().headerData(section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: ARG002
        """A header click: the column's named order; a second click on the same column runs it backwards
        (``reverse``). Qt's ``order`` is ignored: the page keeps the arrow (``sort_arrow``) and the database
        sorts, so the order shown and the arrow cannot drift apart."""
        key = self._sorts[column] if 0 <= column < len(self._sorts) else None
        if key:
            self.reverse = not self.reverse if column == self.clicked else False
            self.clicked = column
        self.sort_requested.emit(key or "")

    def sort_key(self, column: int) -> str | None:
        return self._sorts[column]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole):
            alert = self.row_object(index.row()) if index.isValid() else None
            return None if alert is None else self._style(alert, index.column(), role)
        return super().data(index, role)

    def _style(self, a: AlertRow, column: int, role: int):  # noqa: ANN202
        now = utcnow()
        overdue = a.overdue(now)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if (a.status == "escalated" or (overdue and column in (3, 5))) else None
        stamp = time.monotonic()
        if stamp - self._dark_at > 1.0:  # the theme can change; asking the palette per cell costs the repaint
            self._dark, self._dark_at = _dark(), stamp
        dark = self._dark
        if role == Qt.ItemDataRole.BackgroundRole:
            if overdue:
                return _BRUSHES[(dark, "overdue")]
            return _BRUSHES[(dark, "mine")] if a.assignee == self.viewer else None
        if overdue and column in (3, 5):
            return _BRUSHES[(dark, "late_text")]
        return _BRUSHES[(dark, "closed_text")] if a.status == "closed" else None


_BRUSHES = {(dark, kind): QBrush(QColor(colour)) for kind, light_colour, dark_colour in (
    ("overdue", "#fde8e6", "#4a2020"), ("mine", "#e8f0fe", "#1d3357"), ("late_text", "#b42318", "#ff8a80"),
    ("closed_text", "#8a96a3", "#7d8894")) for dark, colour in ((False, light_colour), (True, dark_colour))}


WIDEST = ("#888888", "2026-12-31 23:59", "999 h 59 min", "overdue 99 h 59 min", "0.99", "escalated", "", "", "",
          "", "")  # the widest text each leading column shows


def size_columns(table) -> None:  # noqa: ANN001 - the queue's QTableView
    """The queue's starting column widths: each at least its widest text in bold (escalated rows are bold)."""
    bold = table.font()
    bold.setBold(True)
    fits = QFontMetrics(bold)
    for column, (width, widest) in enumerate(zip((58, 128, 86, 150, 52, 80, 76, 140, 100, 96, 70), WIDEST,
                                                 strict=True)):
        table.setColumnWidth(column, max(width, fits.horizontalAdvance(widest) + 18))
