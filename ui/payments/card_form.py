"""Taking a card payment at the desk: account, amount, card number, expiry, CVC; a confirmation; Enter charges.

The card number and CVC are checked at once with core's pure validators (Luhn, brand, expiry, CVC
length) and shown masked while not being edited; both fields are emptied as soon as the payment is
sent, whatever the outcome. The payment runs on the worker (the vault tokenises the card there; the
CVC goes to the provider and nowhere else). The request id is kept until the input changes, so a retry
after an unknown outcome cannot charge twice.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.errors import DatabaseUnavailable, QenexError
from core.ledger import money, numbers
from core.payments import cards
from core.payments.cards import BRAND_NAMES
from core.payments.views import PaymentRequest, PaymentView
from core.security.roles import Actor
from ui.forms import InlineForm
from ui.layout import button_row

_FIELD_BY_CODE = {"invalid_card": "number", "card_expired": "expiry", "invalid_cvc": "cvc",
                  "amount_below_minimum": "amount", "invalid_amount": "amount", "too_many_decimals": "amount",
                  "unknown_currency": "currency", "currency_mismatch": "currency", "account_not_found": "account",
                  "invalid_account_number": "account", "account_frozen": "account", "account_closed": "account"}


class CardPaymentForm(InlineForm):
    """Enter reviews, Enter again charges; Escape (the dialog's) closes without charging."""

    paid = Signal(object)  # PaymentView

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self._request: PaymentRequest | None = None
        self._request_id: str | None = None
        self._busy = False
        for key, label, placeholder, length, secret in (
                ("account", "&Account", "the customer's account", 24, False),
                ("amount", "A&mount", "e.g. 40.00", 24, False), ("currency", "C&urrency", "ISO code", 3, False),
                ("number", "Card &number", "as on the card", 23, True), ("expiry", "E&xpiry", "MM/YY", 7, False),
                ("cvc", "C&VC", "3 or 4 digits on the card", 4, True)):
            edit = QLineEdit(placeholderText=placeholder, maxLength=length)
            if secret:
                edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit if key == "number" else QLineEdit.EchoMode.Password)
            edit.textEdited.connect(self._changed)
            edit.returnPressed.connect(self.submit)
            self.add_field(key, label, edit)
        self.manual = QCheckBox("Capture &later (authorize only)")
        self.add_field("capture", "", self.manual)
        self.charge_button = QPushButton("&Review", objectName="primary", default=True)
        self.charge_button.clicked.connect(self.submit)
        self.finish(button_row(self.charge_button))

    def text(self, key: str) -> str:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def _changed(self) -> None:
        self._request = None
        self._request_id = None
        self.charge_button.setText("&Review")

    def _clear_card(self) -> None:
        for key in ("number", "cvc"):
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()

    def submit(self) -> None:
        """First Enter: check and show what will be charged; second Enter: charge."""
        if self._busy:
            return
        if self._request is not None:
            self._charge(self._request)
            return
        self.clear()
        try:
            account = numbers.validate(self.text("account"))
            code = money.currency(self.text("currency"))
            amount = money.parse_amount(self.text("amount"), code)
            month, year = cards.parse_expiry(self.text("expiry"))
            card, brand = cards.parse_card(self.text("number"), month, year, self.text("cvc"))
        except QenexError as err:
            key = _FIELD_BY_CODE.get(err.code, "number")
            self.set_error(key, err.message)
            self.fields[key].setFocus()
            return
        self._request_id = self._request_id or f"pay_{uuid.uuid4().hex[:24]}"
        self._request = PaymentRequest(self._request_id, account, amount, code, card,
                                       capture="manual" if self.manual.isChecked() else "automatic")
        verb = "Authorize" if self.manual.isChecked() else "Charge"
        self.set_status(f"{verb} {money.format_minor(amount, code)} on {BRAND_NAMES[brand]} {cards.mask(card.number)} "
                        f"into account {account}? Press Enter to confirm.", ok=True)
        self.charge_button.setText(f"&{verb} now")

    def _charge(self, req: PaymentRequest) -> None:
        payments, actor = self.services.payments, self.actor
        self._busy = True
        self.charge_button.setEnabled(False)
        self._clear_card()  # the card leaves the screen now; the request object goes to the worker only
        self._request = None
        Op(self, lambda _task: payments.create(actor, req)).success(self._done).failure(self._failed).run_in_background()

    def _done(self, view: PaymentView) -> None:
        self._busy = False
        self.charge_button.setEnabled(True)
        self.charge_button.setText("&Review")
        self._request_id = None
        words = {"succeeded": "captured", "requires_capture": "authorized",
                 "requires_action": "waiting for the cardholder's 3-D Secure approval"}.get(view.status, view.status)
        self.set_status(f"Payment {view.id}: {money.format_minor(view.amount, view.currency)} {words} ({view.card})",
                        ok=True)
        self.paid.emit(view)

    def _failed(self, err: Exception) -> None:
        self._busy = False
        self.charge_button.setEnabled(True)
        self.charge_button.setText("&Review")
        if isinstance(err, QenexError):
            if not isinstance(err, DatabaseUnavailable):  # unknown outcome: the same id next time, never twice
                self._request_id = None
            self.show_failure(err, _FIELD_BY_CODE.get(err.code))
        else:
            self.show_failure(err, None)


class CardPaymentDialog(QDialog):
    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New card payment")
        self.form = CardPaymentForm(services, actor, self)
        box = QVBoxLayout(self)
        box.addWidget(self.form)
        self.resize(460, 380)
