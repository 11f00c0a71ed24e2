"""The Payments page: card payments (newest first, with filters and search by id, card or description),
the selected payment's event history and its actions, and a second tab with the payment orders.

Every action that moves money (``ui.payments.actions``) opens a confirmation saying exactly what will happen
(Enter there confirms, Escape cancels): capture (all, or part: the rest of the authorization is released),
refund (all that is left, or part), cancel, and continuing a payment after 3-D Secure (which captures it when
the payment captures automatically). A payment the fraud screen held for review is decided in the fraud
queue (its alert names ``<payment>:capture``); a supervisor who did not take it may also capture or cancel
it here (core: ``alert.disposition``, never the maker; an analyst decides it in the fraud queue). A supervisor may reveal the full card number with a reason (audited).

Live status: the list and the open payment refresh on ``payment.updated`` from the event bus (another
desk's capture, a webhook, a fraud-queue decision), and every 15 seconds while the page is on screen;
F5 refreshes at once.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget, QVBoxLayout,
    QWidget,
)

from typing import TYPE_CHECKING

from app.services import Services
from app.tasks import Op
from core.ledger.money import format_minor
from core.payments.views import STATUS_WORDS, PaymentView
from core.security.roles import Actor, Permission
from core.words import counted
from ui.errors import console_text, show_error
from ui.layout import card, page_header, table_view
from ui.lazy_model import LazyTableModel
from ui.live import LiveRefresh
from ui.payments.actions import PaymentActions
from ui.payments.columns import EVENT_COLUMNS, PAYMENT_COLUMNS, STATUSES
from ui.rows_model import RowsModel
from ui.table_fit import keep_whole
from ui.teller.confirm import ConfirmDialog

if TYPE_CHECKING:
    from ui.payments.card_form import CardPaymentDialog

REFRESH_MS = 15_000


class PaymentsPage(PaymentActions, QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.selected: PaymentView | None = None
        self.dialog: ConfirmDialog | None = None
        self.status_filter = QComboBox()
        for status in STATUSES:
            self.status_filter.addItem(STATUS_WORDS.get(status, "all statuses") if status else "all statuses", status)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.search = QLineEdit(placeholderText="Search: payment id, card number or its last four, description",
                                clearButtonEnabled=True)
        self.search.setMinimumWidth(240)
        search_label = QLabel("&Find")
        search_label.setBuddy(self.search)
        self._search_timer = QTimer(self, singleShot=True, interval=250, timeout=self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.new_button = QPushButton("New card pa&yment…", objectName="primary")
        self.new_button.clicked.connect(self.new_payment)
        if not services.payments.provider.configured():  # core refuses too; say so before anything is typed
            self.new_button.setEnabled(False)
            self.new_button.setToolTip("Card payments are not set up on this desk: an administrator must configure "
                                       "the payment provider (Payments in the status bar says so too)")
        filter_label = QLabel("Sta&tus")
        filter_label.setBuddy(self.status_filter)

        self.model = LazyTableModel(PAYMENT_COLUMNS, *self._query(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.model.loaded.connect(self._counted)
        self.table = table_view()
        self.table.setModel(self.model)
        # every column whole, the payment id takes the rest (its title was cut to "Paym…", QA4 #2)
        self.table_fit = keep_whole(self.table, whole=range(7), fill=7, hide_empty=False)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel("", objectName="muted")

        self.detail_card, box = card()
        self.detail_card.setMinimumWidth(330)
        self.detail_card.setMaximumWidth(420)
        self.title_label = QLabel("Select a payment to see its history", objectName="muted", wordWrap=True)
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.amount_label = QLabel("", objectName="bigNumber")
        self.meta_label = QLabel("", wordWrap=True)
        self.events_model = RowsModel(EVENT_COLUMNS, self)
        self.events = table_view()
        self.events.setModel(self.events_model)
        self.events_fit = keep_whole(self.events, whole=(0, 1, 2), fill=3, hide_empty=False)
        self.refund_amount = QLineEdit(placeholderText="empty: all")
        self.refund_amount.returnPressed.connect(self._amount_entered)
        refund_label = QLabel("A&mount")
        refund_label.setBuddy(self.refund_amount)
        self.capture_button = QPushButton("Ca&pture…")
        self.refund_button = QPushButton("&Refund…")
        self.cancel_button = QPushButton("Ca&ncel payment…")
        self.continue_button = QPushButton("Continue &3-D Secure…")
        self.continue_button.setToolTip("After the cardholder approved the payment in their banking app: ask the "
                                        "provider for the bank's answer")
        self.reveal_button = QPushButton("Reve&al card…")
        self.reveal_button.setToolTip("Show the full card number (supervisors; needs a reason; audited)")
        self.capture_button.clicked.connect(self.capture)
        self.refund_button.clicked.connect(self.refund)
        self.cancel_button.clicked.connect(self.cancel)
        self.continue_button.clicked.connect(self.continue_3ds)
        self.reveal_button.clicked.connect(self.reveal)
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
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for i, button in enumerate((self.capture_button, self.refund_button, self.cancel_button,
                                    self.continue_button, self.reveal_button)):
            grid.addWidget(button, i // 2, i % 2)
        box.addLayout(grid)
        box.addWidget(self.action_status)

        top = QHBoxLayout()
        top.addWidget(page_header("Payments", "Card payments through the provider: authorized, captured into the "
                                              "customer's account through card clearing, refunded. Outgoing "
                                              "transfers are on the Payment orders tab."), 1)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        filters.addWidget(filter_label)
        filters.addWidget(self.status_filter)
        filters.addSpacing(12)
        filters.addWidget(search_label)
        filters.addWidget(self.search, 1)
        left = QVBoxLayout()
        left.addLayout(filters)
        left.addWidget(self.table, 1)
        left.addWidget(self.count_label)
        body = QHBoxLayout()
        body.setContentsMargins(0, 8, 0, 0)
        body.addLayout(left, 1)
        body.addWidget(self.detail_card)
        cards_tab = QWidget()
        cards_tab.setLayout(body)
        from ui.payments.orders_tab import OrdersTab

        self.orders = OrdersTab(services, actor)
        self.tabs = QTabWidget()
        self.tabs.addTab(cards_tab, "Card payments")
        self.tabs.addTab(self.orders, "Payment orders")
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addLayout(top)
        root.addWidget(self.tabs, 1)
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
        """Reload the list in place, the open payment and the orders (F5, timer, ``payment.updated``)."""
        self.model.refresh()
        if self.selected is not None:
            self._load(self.selected.id)
        if hasattr(self, "orders") and self.tabs.currentWidget() is self.orders:
            self.orders.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.timer.stop()

    def _counted(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText("No payments" if n == 0 else counted(n, "payment"))

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        payment = self.model.row_object(rows[0].row()) if rows else None
        if payment is not None:
            self.action_status.clear()
            self._load(payment.id)

    def _load(self, payment_id: str) -> None:
        """Read ``payment_id`` on the worker; an answer for a payment no longer selected is dropped."""
        svc, actor = self.services.payments, self.actor
        self._wanted = payment_id
        Op(self, lambda _task: svc.show(actor, payment_id)).success(
            lambda view: self._show(view) if view.id == self._wanted else None).run_in_background()

    def _show(self, payment: PaymentView | None) -> None:
        self.selected = payment
        for widget in (self.amount_label, self.meta_label, self.events, self.refund_amount, self.history_label,
                       self.refund_label, self.capture_button, self.refund_button, self.cancel_button,
                       self.continue_button, self.reveal_button):
            widget.setVisible(payment is not None)
        if payment is None:
            self.title_label.setText("Select a payment to see its history")
            for button in (self.capture_button, self.refund_button, self.cancel_button, self.continue_button,
                           self.reveal_button):
                button.setEnabled(False)
            return
        c = payment.currency
        self.title_label.setText(f"Payment {payment.id} · {payment.state_words}")
        self.amount_label.setText(format_minor(payment.amount, c))
        fraud = (f"fraud screen {payment.fraud_decision} ({payment.fraud_score:.2f})"
                 if payment.fraud_decision and payment.fraud_score is not None else "not screened")
        lines = [f"{payment.card} → account {payment.account}",
                 f"Captured {format_minor(payment.captured, c)} · refunded {format_minor(payment.refunded, c)}",
                 f"{fraud} · by {payment.created_by}"]
        if payment.message:
            lines.append(console_text(payment.message))
        held = payment.fraud_decision == "review" and payment.status in ("requires_capture", "requires_action")
        if held:
            alert = f"alert #{payment.review_alert}, " if payment.review_alert is not None else ""
            lines.append(f"Held for fraud review: decided in the Fraud queue ({alert}search {payment.id}:capture) by an "
                         f"analyst or supervisor other than {payment.created_by}; releasing it captures, declining "
                         "it cancels.")
        if payment.status == "requires_action":
            lines.append("Waiting for the cardholder to approve it with their bank (3-D Secure). When they have, "
                         "press Continue 3-D Secure.")
        if payment.refundable > 0:
            lines.append(f"Left to refund: {format_minor(payment.refundable, c)}")
        self.meta_label.setText("\n".join(lines))
        self.events_model.set_rows(payment.events)
        # As core decides (PaymentService._authorize_decision): a held payment is the checker's, never the maker's.
        may_decide = not held or (self.actor.can(Permission.ALERT_DISPOSITION)
                                  and payment.created_by != self.actor.username)
        self.capture_button.setEnabled(payment.status == "requires_capture" and may_decide)
        self.refund_button.setEnabled(payment.refundable > 0)
        self.cancel_button.setEnabled(payment.status in ("requires_capture", "requires_action") and may_decide)
        self.continue_button.setEnabled(payment.status == "requires_action")
        self.reveal_button.setEnabled(self.actor.can(Permission.CARD_REVEAL))
        self.refund_amount.setPlaceholderText(
            f"empty: the whole {format_minor(payment.amount, c)} authorized" if payment.status == "requires_capture"
            else f"empty: all {format_minor(payment.refundable, c)} left" if payment.refundable > 0 else "")

    # -- actions --------------------------------------------------------------------------------
    def new_payment(self) -> "CardPaymentDialog":
        from ui.payments.card_form import CardPaymentDialog

        dialog = CardPaymentDialog(self.services, self.actor, self)
        dialog.form.paid.connect(lambda view: (self.model.refresh(), self._show(view)))
        dialog.open()
        return dialog

    def payments(self) -> list[PaymentView | None]:
        return [self.model.row_object(r) for r in range(self.model.rowCount())]
