"""The Payments page: card payments newest first with filters, the selected payment's event history,
and its actions (capture, refund in full or in part, cancel), each confirmed before money moves.

Live status: the list and the selected payment refresh on ``payment.updated`` from the event bus
(another desk's capture, a webhook), and every 15 seconds while the page is on screen; F5 refreshes at once.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from typing import TYPE_CHECKING

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger.money import format_minor, to_minor
from core.payments.views import PaymentView
from core.security.roles import Actor
from ui.columns import Column
from ui.errors import confirm, show_error
from ui.layout import button_row, card, page_header, table_view
from ui.lazy_model import LazyTableModel
from ui.live import LiveRefresh
from ui.rows_model import RowsModel

if TYPE_CHECKING:
    from ui.payments.card_form import CardPaymentDialog

REFRESH_MS = 15_000
STATUSES = ("", "requires_action", "requires_capture", "succeeded", "refunded", "canceled", "failed", "declined")
STATUS_WORDS = {"pending": "waiting for the provider", "requires_action": "waiting for 3-D Secure",
                "requires_capture": "authorized", "succeeded": "captured", "refunded": "refunded",
                "canceled": "canceled", "failed": "declined by the issuer", "declined": "declined by fraud screen"}

PAYMENT_COLUMNS = (
    Column("When", lambda p: p.created_at.astimezone().strftime("%m-%d %H:%M")),
    Column("Status", lambda p: STATUS_WORDS.get(p.status, p.status)),
    Column("Amount", lambda p: format_minor(p.amount, p.currency), align_right=True),
    Column("Refunded", lambda p: format_minor(p.refunded, p.currency) if p.refunded else "", align_right=True),
    Column("Card", lambda p: p.card),
    Column("Account", lambda p: p.account),
    Column("Payment", lambda p: p.id),
)
EVENT_COLUMNS = (
    Column("When", lambda e: e.at.astimezone().strftime("%H:%M:%S")),
    Column("Step", lambda e: e.kind),
    Column("By", lambda e: f"{e.actor} ({e.source})"),
    Column("Detail", lambda e: e.detail),
)


class PaymentsPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.selected: PaymentView | None = None
        self.status_filter = QComboBox()
        for status in STATUSES:
            self.status_filter.addItem(STATUS_WORDS.get(status, "all statuses") if status else "all statuses", status)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.search = QLineEdit(placeholderText="Search id, card (424242…4242) or description", clearButtonEnabled=True)
        self.search.setFixedWidth(300)
        self._search_timer = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.new_button = QPushButton("New card &payment…", objectName="primary")
        self.new_button.clicked.connect(self.new_payment)
        filter_label = QLabel("&Show")
        filter_label.setBuddy(self.status_filter)

        self.model = LazyTableModel(PAYMENT_COLUMNS, *self._query(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.model.loaded.connect(self._counted)
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((92, 150, 84, 80, 172, 96)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel("", objectName="muted")

        self.detail_card, box = card()
        self.detail_card.setFixedWidth(360)
        self.title_label = QLabel("Select a payment to see its history", objectName="muted", wordWrap=True)
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.amount_label = QLabel("", objectName="bigNumber")
        self.meta_label = QLabel("", wordWrap=True)
        self.events_model = RowsModel(EVENT_COLUMNS, self)
        self.events = table_view()
        self.events.setModel(self.events_model)
        for column, width in enumerate((74, 118, 104)):
            self.events.setColumnWidth(column, width)
        self.refund_amount = QLineEdit(placeholderText="amount (empty: all that is left)")
        refund_label = QLabel("Refund &amount")
        refund_label.setBuddy(self.refund_amount)
        self.capture_button = QPushButton("Ca&pture")
        self.refund_button = QPushButton("&Refund…")
        self.cancel_button = QPushButton("Ca&ncel payment…")
        self.capture_button.clicked.connect(self.capture)
        self.refund_button.clicked.connect(self.refund)
        self.cancel_button.clicked.connect(self.cancel)
        self.refund_amount.returnPressed.connect(self.refund)
        self.action_status = QLabel("", objectName="formStatus", wordWrap=True)
        for widget in (self.title_label, self.amount_label, self.meta_label):
            box.addWidget(widget)
        self.history_label = QLabel("History", objectName="muted")
        self.refund_label = refund_label
        box.addWidget(self.history_label)
        box.addWidget(self.events, 1)
        refund_row = QHBoxLayout()
        refund_row.addWidget(refund_label)
        refund_row.addWidget(self.refund_amount, 1)
        box.addLayout(refund_row)
        box.addWidget(button_row(self.capture_button, self.refund_button, self.cancel_button))
        box.addWidget(self.action_status)

        top = QHBoxLayout()
        top.addWidget(page_header("Payments", "Card payments through the provider: authorized, captured into the "
                                              "customer's account through card clearing, refunded."), 1)
        top.addWidget(self.new_button)
        top.addWidget(filter_label)
        top.addWidget(self.status_filter)
        top.addWidget(self.search)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(self.count_label)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.detail_card)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addLayout(top)
        root.addLayout(body, 1)
        self.setTabOrder(self.status_filter, self.search)
        self.setTabOrder(self.search, self.table)
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.live = LiveRefresh(self, services, ("payment.updated", "bus.resync"), lambda _events: self.refresh())
        self._show(None)
        self.model.reload()

    def _query(self):  # noqa: ANN202
        svc, actor = self.services.payments, self.actor
        status = self.status_filter.currentData() or None
        search = self.search.text().strip() or None
        return (lambda: svc.count(actor, status=status, search=search),
                lambda offset, limit: svc.list(actor, status=status, search=search, offset=offset, limit=limit))

    def reload(self) -> None:
        self.model.reload(*self._query())

    def refresh(self) -> None:
        """Reload the list in place and the selected payment (F5, timer, ``payment.updated``)."""
        self.model.refresh()
        if self.selected is not None:
            self._load(self.selected.id)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.timer.stop()

    def _counted(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText("No payments" if n == 0 else f"{n:,} payment{'' if n == 1 else 's'}")

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        payment = self.model.row_object(rows[0].row()) if rows else None
        if payment is not None:
            self.action_status.clear()
            self._load(payment.id)

    def _load(self, payment_id: str) -> None:
        svc, actor = self.services.payments, self.actor
        Op(self, lambda _task: svc.show(actor, payment_id)).success(self._show).run_in_background()

    def _show(self, payment: PaymentView | None) -> None:
        self.selected = payment
        for widget in (self.amount_label, self.meta_label, self.events, self.refund_amount, self.history_label,
                       self.refund_label, self.capture_button, self.refund_button, self.cancel_button):
            widget.setVisible(payment is not None)
        if payment is None:
            self.title_label.setText("Select a payment to see its history")
            for button in (self.capture_button, self.refund_button, self.cancel_button):
                button.setEnabled(False)
            return
        c = payment.currency
        self.title_label.setText(f"Payment {payment.id} · {STATUS_WORDS.get(payment.status, payment.status)}")
        self.amount_label.setText(format_minor(payment.amount, c))
        fraud = (f"fraud screen {payment.fraud_decision} ({payment.fraud_score:.2f})"
                 if payment.fraud_decision and payment.fraud_score is not None else "not screened")
        lines = [f"{payment.card} → account {payment.account}",
                 f"Captured {format_minor(payment.captured, c)} · refunded {format_minor(payment.refunded, c)}",
                 f"{fraud} · by {payment.created_by}"]
        if payment.message:
            lines.append(payment.message)
        self.meta_label.setText("\n".join(lines))
        self.events_model.set_rows(payment.events)
        self.capture_button.setEnabled(payment.status == "requires_capture")
        self.refund_button.setEnabled(payment.refundable > 0)
        self.cancel_button.setEnabled(payment.status in ("requires_capture", "requires_action"))

    # -- actions --------------------------------------------------------------------------------
    def new_payment(self) -> "CardPaymentDialog":
        from ui.payments.card_form import CardPaymentDialog

        dialog = CardPaymentDialog(self.services, self.actor, self)
        dialog.form.paid.connect(lambda view: (self.model.refresh(), self._show(view)))
        dialog.open()
        return dialog

    def capture(self) -> None:
        p = self.selected
        if p is None or p.status != "requires_capture":
            return
        self._run(lambda svc, actor: svc.capture(actor, p.id), "Captured")

    def refund(self) -> None:
        p = self.selected
        if p is None or p.refundable <= 0:
            return
        text = self.refund_amount.text().strip()
        try:
            amount = to_minor(text, p.currency) if text else p.refundable
        except QenexError as err:
            self._say(err.message, ok=False)
            return
        confirm(self, "Refund", f"Refund {format_minor(amount, p.currency)} to {p.card}? The amount leaves account "
                                f"{p.account} now.", lambda: self._run(
                                    lambda svc, actor: svc.refund(actor, p.id, amount), "Refunded"))

    def cancel(self) -> None:
        p = self.selected
        if p is None:
            return
        confirm(self, "Cancel payment", f"Cancel payment {p.id} and release the authorization on {p.card}?",
                lambda: self._run(lambda svc, actor: svc.cancel(actor, p.id), "Canceled"))

    def _run(self, call, verb: str) -> None:  # noqa: ANN001
        svc, actor = self.services.payments, self.actor
        for button in (self.capture_button, self.refund_button, self.cancel_button):
            button.setEnabled(False)
        Op(self, lambda _task: call(svc, actor)).success(lambda view: self._done(view, verb)).failure(
            self._failed).run_in_background()

    def _done(self, view: PaymentView, verb: str) -> None:
        self.refund_amount.clear()
        self._show(view)
        self._say(f"{verb}: {STATUS_WORDS.get(view.status, view.status)}; captured "
                  f"{format_minor(view.captured, view.currency)}, refunded {format_minor(view.refunded, view.currency)}",
                  ok=True)
        self.model.refresh()

    def _failed(self, err: Exception) -> None:
        self._say(err.message if isinstance(err, QenexError) else str(err), ok=False)
        if self.selected is not None:
            self._load(self.selected.id)

    def _say(self, text: str, *, ok: bool) -> None:
        self.action_status.setText(text)
        self.action_status.setProperty("state", "ok" if ok else "error")
        self.action_status.style().unpolish(self.action_status)
        self.action_status.style().polish(self.action_status)

    def payments(self) -> list[PaymentView | None]:
        return [self.model.row_object(r) for r in range(self.model.rowCount())]
