"""The selected alert in full: the transaction and why it was held, the customer and their recent activity,
each feature against the customer's own normal, related alerts and transfers, and the alert's history.

Shows an ``AlertDetail`` read on the worker; never touches the database itself.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea, QSizePolicy, QSplitter,
    QTabWidget, QVBoxLayout, QWidget,
)

from app.zone import local, operator_zone
from core.cases.detail import AlertDetail
from core.cases.rules import title
from core.ledger.money import format_minor
from ui.columns import Column
from ui.fraud.queue_model import amount_text, sla_text, state_text
from ui.keys import submit_on_ctrl_enter
from ui.layout import table_view
from ui.rows_model import RowsModel
from core.words import counted

MONEY_KINDS = {"payment_out": "−", "payment_in": "+"}


class FlagModel(RowsModel):
    """Rows whose ``flag`` (or ``unusual``) attribute is true stand out."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: ANN001, ANN201
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            row = self.row_object(index.row())
            if getattr(row, "flag", False) or getattr(row, "unusual", False):
                return QBrush(QColor("#c0392b"))
        return super().data(index, role)


def _item_amount(i) -> str:  # noqa: ANN001
    if i.amount is None or not i.currency:
        return ""
    return f"{MONEY_KINDS.get(i.kind, '')}{format_minor(i.amount, i.currency)}"


ACTIVITY = (Column("When", lambda i: local(i.at)), Column("What", lambda i: i.text),
            Column("Amount", _item_amount, align_right=True))
NORMAL = (Column("Feature", lambda n: ("⚠ " if n.unusual else "") + n.name), Column("This payment", lambda n: n.value),
          Column("The customer's normal", lambda n: n.normal))
RELATED_ALERTS = (Column("Alert", lambda r: f"#{r.alert.id}"), Column("Raised", lambda r: local(r.alert.created_at)),
                  Column("Shares", lambda r: ", ".join(r.shared)), Column("Status", lambda r: state_text(r.alert)),
                  Column("Amount", lambda r: amount_text(r.alert), align_right=True),
                  Column("Customer", lambda r: r.alert.customer_name or "—"))
RELATED_TRANSFERS = (Column("Transfer", lambda t: t.id), Column("When", lambda t: local(t.at)),
                     Column("Shares", lambda t: t.shared),
                     Column("Amount", lambda t: format_minor(t.amount, t.currency), align_right=True),
                     Column("From", lambda t: t.debit), Column("To", lambda t: t.credit),
                     Column("State", lambda t: t.state))
EVENTS = (Column("When", lambda e: local(e.at)), Column("Who", lambda e: e.actor),
          Column("What", lambda e: e.describe(operator_zone())), Column("Note", lambda e: e.note or ""))


TIME = -1  # a column width: wide enough for a time with its zone ("2026-12-31 23:59 CEST")


def time_width(view: QWidget) -> int:
    """Pixels a time column needs to show a local time and its zone's abbreviation unclipped."""
    return view.fontMetrics().horizontalAdvance("2026-12-31 23:59 WWWWW") + 16


def rows_table(columns, widths=()) -> tuple[QWidget, RowsModel]:  # noqa: ANN001
    """A read-only table over a fetched list; rows flagged (or unusual) stand out. A width of ``TIME``
    fits a time with its zone."""
    model = FlagModel(columns)
    view = table_view()
    view.setModel(model)
    for i, w in enumerate(widths):
        view.setColumnWidth(i, time_width(view) if w == TIME else w)
    return view, model


def on_open(view: QAbstractItemView, handler: Callable[[QModelIndex], None]) -> None:
    """Double-click, Enter or Return on a row calls ``handler(index)`` (keyboard users open rows too)."""
    view.doubleClicked.connect(handler)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        shortcut = QShortcut(QKeySequence(key), view, context=Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(lambda: view.currentIndex().isValid() and handler(view.currentIndex()))


class AlertDetailPanel(QTabWidget):
    """``note_requested(text)``: the analyst wrote a note; ``alert_requested(id)``: open a related alert."""

    note_requested = Signal(str)
    alert_requested = Signal(int)
    raise_requested = Signal(str)  # a related transfer id to raise an alert on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: AlertDetail | None = None
        self.setDocumentMode(True)

        overview = QWidget()
        box = QVBoxLayout(overview)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)  # long reasons scroll: the
        scroll.setWidget(overview)  # panel never squeezes the queue above it nor grows the window
        self.heading = QLabel("Select an alert to see why the payment was held", objectName="muted", wordWrap=True)
        self.amount = QLabel("", objectName="bigNumber")
        self.route = QLabel("", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel("", objectName="muted", wordWrap=True)
        self.reasons = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText,
                              textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.suppressed = QLabel("", objectName="muted", wordWrap=True)
        for w in (self.heading, self.amount, self.route, self.meta):
            box.addWidget(w)
        box.addSpacing(6)
        self.why_title = why = QLabel("Why it was held", objectName="muted")
        box.addWidget(why)
        box.addWidget(self.reasons)
        box.addWidget(self.suppressed)
        box.addStretch(1)
        self.addTab(scroll, "&Payment")

        customer = QWidget()
        cbox = QVBoxLayout(customer)
        self.profile = QLabel("", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        cbox.addWidget(self.profile)
        self.activity_view, self.activity = rows_table(ACTIVITY, (TIME, 520))
        cbox.addWidget(self.activity_view, 1)
        self.addTab(customer, "C&ustomer && timeline")

        self.normal_view, self.normal = rows_table(NORMAL, (230, 190))
        self.addTab(self.normal_view, "Against habi&ts")

        related = QSplitter(Qt.Orientation.Vertical)
        self.related_alerts_view, self.related_alerts = rows_table(RELATED_ALERTS, (70, TIME, 260, 80, 100))
        self.related_transfers_view, self.related_transfers = rows_table(RELATED_TRANSFERS, (160, TIME, 150, 100, 100, 100))
        on_open(self.related_alerts_view, self._open_related)
        on_open(self.related_transfers_view, self._raise_related)
        self.related_alerts_view.setToolTip("Double-click (or Enter) opens the alert")
        self.related_transfers_view.setToolTip("Double-click (or Enter) raises an alert on the transfer (with a note)")
        related.addWidget(self.related_alerts_view)
        related.addWidget(self.related_transfers_view)
        self.addTab(related, "Lin&ked")

        history = QWidget()
        hbox = QVBoxLayout(history)
        self.events_view, self.events = rows_table(EVENTS, (TIME, 80, 420))
        hbox.addWidget(self.events_view, 1)
        row = QHBoxLayout()
        self.note_edit = QPlainTextEdit(placeholderText="Write a note for the alert's history (Ctrl+Enter writes it)")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setFixedHeight(54)
        self.note_button = QPushButton("&Write note")
        self.note_button.clicked.connect(self._note)
        submit_on_ctrl_enter(self.note_edit, self._note)
        row.addWidget(self.note_edit, 1)
        row.addWidget(self.note_button)
        hbox.addLayout(row)
        self.addTab(history, "Histor&y")
        self.show_detail(None)

    def _open_related(self, index) -> None:  # noqa: ANN001
        row = self.related_alerts.row_object(index.row())
        if row is not None:
            self.alert_requested.emit(row.alert.id)

    def _raise_related(self, index) -> None:  # noqa: ANN001
        row = self.related_transfers.row_object(index.row())
        if row is not None:
            self.raise_requested.emit(row.id)

    def _note(self) -> None:
        """Alt+W: send the note, or (none written yet) put the cursor in the note field."""
        text = self.note_edit.toPlainText().strip()
        if not text:
            self.setCurrentIndex(self.indexOf(self.note_edit.parentWidget()))
            self.note_edit.setFocus()
        elif self.detail is not None:
            self.note_requested.emit(text)

    def note_saved(self) -> None:
        self.note_edit.clear()

    def show_detail(self, detail: AlertDetail | None, gone: str = "") -> None:
        """Show ``detail``; None empties every tab (their counts too), and ``gone`` says why (on the first tab,
        brought forward: the alert that was shown is no longer there)."""
        self.detail = detail
        for w in (self.amount, self.route, self.meta, self.why_title, self.reasons):
            w.setVisible(detail is not None)
        self.note_button.setEnabled(detail is not None)
        if detail is None:
            self.heading.setText(gone or "Select an alert to see why the payment was held")
            if gone:
                self.setCurrentIndex(0)
            self.setTabText(2, "Against habi&ts")
            self.setTabText(3, "Lin&ked")
            self.suppressed.setText("")
            self.profile.setText("")
            for model in (self.activity, self.normal, self.related_alerts, self.related_transfers, self.events):
                model.set_rows([])
            return
        a, t = detail.alert, detail.transfer
        case = f" · in case #{detail.case[0]} ({detail.case[2]})" if detail.case else ""
        self.heading.setText(f"Alert #{a.id} · transfer {a.transfer_id} · {state_text(a)}{case}")
        self.amount.setText(amount_text(a))
        if t is None:
            self.route.setText("The ledger has no transfer with this id")
        else:
            via = f" · counterparty {t.counterparty}" if t.counterparty else ""
            country = f" ({t.counterparty_country})" if t.counterparty_country else ""
            device = f" · device {t.device}" if t.device else ""
            expires = f", expires {local(t.expires_at)}" if t.expires_at else ""
            to_name = f" ({t.credit_name})" if getattr(t, "credit_name", None) else ""
            four_eyes = f" · {t.four_eyes}" if getattr(t, "four_eyes", None) else ""
            # "entered by": a pending transfer is not posted (QA4 #9); the four-eyes request says where it stands
            self.route.setText(f"From {t.debit} ({a.customer_name or '—'}) to {t.credit}{to_name}{via}{country}\n"
                               f"{t.channel}{device} · {t.description or 'no description'}\n"
                               f"Transfer {t.state}{expires} · entered by {t.created_by}{four_eyes}")
        who = f"claimed by {a.assignee}" if a.assignee else "unclaimed"
        self.meta.setText(f"Score {a.score:.2f} ({a.band} band) · raised {local(a.created_at)} · "
                          f"{sla_text(a)} · {who}" + (f" · {a.escalation_words}" if a.escalation_words else ""))
        keys = ", ".join(title(k) for k in a.rules)
        self.reasons.setText("\n".join(f"• {r}" for r in a.reasons) + (f"\n\nRules: {keys}" if keys else ""))
        self.suppressed.setText("\n".join(f"Suppressed now: {title(s.rule)} for {s.label} until {local(s.until)}"
                                          for s in detail.suppressions))
        c = detail.customer
        if c is None:
            self.profile.setText("No customer is linked to the paying account.")
        else:
            accounts = "; ".join(f"{x.number} {x.currency} {x.status}: balance {format_minor(x.balance, x.currency)}, "
                                 f"available {format_minor(x.available, x.currency)}" for x in c.accounts)
            self.profile.setText(f"<b>{c.name}</b> · customer {c.number} · {c.country} · since {c.since:%Y-%m-%d}<br>"
                                 f"{accounts}<br>{counted(c.alerts, 'alert')} so far: {c.confirmed} confirmed fraud, "
                                 f"{counted(c.false_positives, 'false positive')}")
        self.activity.set_rows(detail.activity)
        self.normal.set_rows(detail.normal)
        self.related_alerts.set_rows(detail.related_alerts)
        self.related_transfers.set_rows(detail.related_transfers)
        self.events.set_rows(detail.events)
        unusual = sum(1 for n in detail.normal if n.unusual)
        self.setTabText(2, f"Against habi&ts ({unusual} unusual)" if unusual else "Against habi&ts")
        related = len(detail.related_alerts) + len(detail.related_transfers)
        self.setTabText(3, f"Lin&ked ({related})" if related else "Lin&ked")
