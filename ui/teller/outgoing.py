"""The "Outgoing" form: a transfer to another bank (SEPA, ACH or wire) with a confirmation step.

Self-contained: ``OutgoingForm(services, actor)``; the Teller page hosts it as a tab. The fields a rail
needs are shown for that rail only. The beneficiary and amount are checked at once with core's pure
validators (schwifty IBAN/BIC, the ABA checksum, the currency's decimals); "Review" asks the worker for
what will post (accounts, amount, fee, available balance after, the fraud screen's decision now) and
shows it; Enter (or Confirm) posts it, Escape (or Back) returns to the fields. The request id is kept
until the input changes, so a retry after an unknown outcome cannot post twice.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger import money, numbers
from core.payments import beneficiary
from core.payments.orders import OrderPreview, OrderRequest, OrderView
from core.security.roles import Actor
from ui.forms import InlineForm
from ui.layout import button_row

RAILS = (("sepa", "SEPA credit transfer (EUR)"), ("ach", "ACH (USD)"), ("wire", "Wire (any currency)"))
_FIELDS_BY_RAIL = {"sepa": ("iban", "bic"), "ach": ("routing", "account_no"), "wire": ("bic", "account_no")}
_FIELD_BY_ERROR = {"iban": "iban", "bic": "bic", "routing": "routing", "account": "account_no", "name": "name",
                   "reference": "reference", "currency": "currency", "rail": "rail"}
_CODE_FIELD = {"insufficient_funds": "amount", "invalid_amount": "amount", "too_many_decimals": "amount",
               "currency_mismatch": "currency", "unknown_currency": "currency", "account_not_found": "from",
               "invalid_account_number": "from", "account_frozen": "from", "account_closed": "from"}


class OutgoingForm(InlineForm):
    """From account, rail, beneficiary, amount; Review shows the confirmation; Enter confirms."""

    posted = Signal(object)  # OrderView

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self._request_id: str | None = None
        self._pending: OrderRequest | None = None
        self._busy = False
        self.rail = QComboBox()
        for key, label in RAILS:
            self.rail.addItem(label, key)
        self.rail.currentIndexChanged.connect(self._rail_changed)
        self._line("from", "&From account", "account number", 24)
        self.add_field("rail", "Ra&il", self.rail)
        self._line("name", "&Beneficiary", "name as the bank knows it", 70)
        self._line("iban", "&IBAN", "e.g. DE89 3704 0044 0532 0130 00", 42)
        self._line("bic", "BI&C", "e.g. COBADEFFXXX", 11)
        self._line("routing", "R&outing no.", "nine digits, e.g. 011000015", 11)
        self._line("account_no", "Accou&nt no.", "beneficiary's account number", 34)
        self._line("amount", "A&mount", "e.g. 250.00", 24)
        self._line("currency", "C&urrency", "ISO code", 3)
        self._line("reference", "Re&ference", "what the beneficiary sees", 140)
        self.review_button = QPushButton("&Review…", objectName="primary", default=True)
        self.review_button.clicked.connect(self.submit)
        self.finish(button_row(self.review_button))

        self.confirm_panel = QFrame(objectName="card")
        panel = QVBoxLayout(self.confirm_panel)
        self.confirm_title = QLabel("Confirm the transfer", objectName="muted")
        self.confirm_text = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.confirm_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.confirm_button = QPushButton("&Confirm and send", objectName="primary")
        self.back_button = QPushButton("Bac&k")
        self.confirm_button.clicked.connect(self.confirm)
        self.back_button.clicked.connect(self.back)
        panel.addWidget(self.confirm_title)
        panel.addWidget(self.confirm_text)
        panel.addWidget(button_row(self.confirm_button, self.back_button))
        self.layout_.addRow(self.confirm_panel)
        self.confirm_panel.hide()
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.back)
        self.rail.setCurrentIndex(0)
        self._rail_changed()

    # -- fields ---------------------------------------------------------------------------------
    def _line(self, key: str, label: str, placeholder: str, max_length: int) -> QLineEdit:
        edit = QLineEdit(placeholderText=placeholder, maxLength=max_length)
        edit.textEdited.connect(self._input_changed)
        edit.returnPressed.connect(self._enter)
        self.add_field(key, label, edit)
        return edit

    def text(self, key: str) -> str:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def set_text(self, key: str, value: str) -> None:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        widget.setText(value)
        self._input_changed()

    def _input_changed(self) -> None:
        self._request_id = None
        if self.confirm_panel.isVisible():
            self.back()

    def _rail_changed(self) -> None:
        rail = self.rail.currentData()
        for key in ("iban", "bic", "routing", "account_no"):
            visible = key in _FIELDS_BY_RAIL[rail]
            self.fields[key].setVisible(visible)
            self.layout_.setRowVisible(self.fields[key].parentWidget(), visible)  # no gap where a row hides
        fixed = beneficiary.RAIL_CURRENCY.get(rail)
        if fixed:
            self.set_text("currency", fixed)
        self._input_changed()

    def use_account(self, number: str, currency: str) -> None:
        """Prefill from the account selected on the Teller page (and a rail that fits its currency)."""
        self.set_text("from", number)
        rail = {"EUR": "sepa", "USD": "ach"}.get(currency, "wire")
        self.rail.setCurrentIndex([k for k, _l in RAILS].index(rail))
        self.set_text("currency", currency)

    def _enter(self) -> None:
        if self.confirm_panel.isVisible():
            self.confirm()
        else:
            self.submit()

    # -- review and confirm ---------------------------------------------------------------------
    def request(self) -> OrderRequest | None:
        """The checked request, or None with the errors shown under their fields."""
        self.clear()
        rail = self.rail.currentData()
        ok = True
        try:
            account = numbers.validate(self.text("from"))
        except QenexError as err:
            self.set_error("from", "enter the account to pay from" if not self.text("from") else err.message)
            ok = False
        try:
            code = money.currency(self.text("currency"))
            amount = money.parse_amount(self.text("amount"), code)
        except QenexError as err:
            key = "currency" if err.code == "unknown_currency" else "amount"
            self.set_error(key, "enter an amount" if key == "amount" and not self.text("amount") else err.message)
            return None
        try:
            ben = beneficiary.check(rail, code, name=self.text("name"), iban=self.text("iban") or None,
                                    bic=self.text("bic") or None, routing=self.text("routing") or None,
                                    account_number=self.text("account_no") or None, reference=self.text("reference"))
        except QenexError as err:
            self.set_error(_FIELD_BY_ERROR.get(str(err.details.get("field")), "name"), err.message)
            return None
        if not ok:
            return None
        self._request_id = self._request_id or f"ord_{uuid.uuid4().hex[:24]}"
        return OrderRequest(self._request_id, account, amount, code, ben)

    def submit(self) -> None:
        """Review: check the input, then fetch what will post on the worker and show it."""
        if self._busy:
            return
        req = self.request()
        if req is None:
            return
        orders, actor = self.services.orders, self.actor
        self._set_busy(True)
        Op(self, lambda _task: orders.preview(actor, req)).success(
            lambda preview: self._show_preview(req, preview)).failure(self._failed).run_in_background()

    def _show_preview(self, req: OrderRequest, p: OrderPreview) -> None:
        self._set_busy(False)
        self._pending = req
        fmt = lambda minor: money.format_minor(minor, p.currency)  # noqa: E731
        decision = {"approve": "approve: it will be sent",
                    "review": "review: held for fraud review, the funds reserved on the account until an analyst "
                              "clears it",
                    "decline": "decline: it will not be sent. Check it with the customer; if it is genuine, ask a "
                               "supervisor to have the fraud team review it"}.get(p.decision or "", "not screened")
        lines = [f"{beneficiary.RAIL_NAMES[p.rail]} of {fmt(p.amount)}",
                 f"From {p.account} ({p.account_name})", f"To {p.beneficiary}",
                 f"Posts {p.account} → {p.clearing_account} (the rail's clearing account)",
                 f"Fee: {fmt(p.fee) if p.fee else 'none'}",
                 f"Available after: {fmt(p.available_after)}",
                 f"Fraud screen: {decision}" + (f" (score {p.score:.2f})" if p.score is not None else "")]
        if p.decision in ("review", "decline"):
            lines += [f"  • {r}" for r in p.reasons]
        if req.beneficiary.reference:
            lines.insert(3, f"Reference: {req.beneficiary.reference}")
        self.confirm_text.setText("\n".join(lines))
        self.confirm_button.setEnabled(p.decision != "decline" and p.available_after >= 0 or p.decision is None)
        self.confirm_panel.show()
        self.review_button.hide()
        self.confirm_button.setDefault(True)
        self.confirm_button.setFocus()

    def back(self) -> None:
        self.confirm_panel.hide()
        self.review_button.show()
        self._pending = None

    def confirm(self) -> None:
        """Post the reviewed transfer (Enter on the confirmation)."""
        if self._busy or self._pending is None or not self.confirm_button.isEnabled():
            return
        req, orders, actor = self._pending, self.services.orders, self.actor
        self._set_busy(True)
        Op(self, lambda _task: orders.create(actor, req)).success(self._created).failure(self._failed).run_in_background()

    def _created(self, order: OrderView) -> None:
        self._set_busy(False)
        self.back()
        self._request_id = None
        amount = money.format_minor(order.amount, order.currency)
        held = order.funds != "posted"
        note = ("; it is held for fraud review: the funds are reserved on the account, not sent, until an analyst "
                "decides" if held else "")
        if order.funds.startswith("waiting for approval"):
            note = ("; waiting for approval: the funds are reserved on the account, not sent, until a supervisor "
                    "approves it in the approvals inbox")
        self.set_status(f"Order {order.id} created: {amount} to {order.name} by {order.rail.upper()}{note}", ok=True,
                        warning=held)
        for key in ("amount", "reference"):
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()
        self.posted.emit(order)

    def _failed(self, err: Exception) -> None:
        self._set_busy(False)
        self.back()
        if isinstance(err, QenexError):
            self._request_id = None  # refused; nothing was written
            key = _CODE_FIELD.get(err.code) or _FIELD_BY_ERROR.get(str(err.details.get("field", "")))
            self.show_failure(err, key)
        else:
            self.show_failure(err, None)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.review_button, self.confirm_button, self.back_button):
            button.setEnabled(not busy)
