"""Taking a card payment at the desk: account, amount, card number, expiry, CVC; Review opens a confirmation
that says exactly what will be charged; Confirm (Enter there) charges. Enter in a field only reviews.

The card number and CVC are checked at once with core's pure validators (Luhn, brand, expiry, CVC
length) and masked while typed (a line under the number says the brand and the last four digits, so the
teller can check it against the card without the number on screen); both fields are emptied as soon as
the payment is sent, whatever the outcome, and when the dialog is canceled. The payment runs on the worker
(the vault tokenises the card there; the CVC goes to the provider and nowhere else). The request id is
kept until the input changes, so a retry after an unknown outcome cannot charge twice.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

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
from ui.teller.confirm import ConfirmDialog

_FIELD_BY_CODE = {"invalid_card": "number", "card_expired": "expiry", "invalid_expiry": "expiry", "invalid_cvc": "cvc",
                  "amount_below_minimum": "amount", "invalid_amount": "amount", "too_many_decimals": "amount",
                  "unknown_currency": "currency", "currency_mismatch": "currency", "account_not_found": "account",
                  "invalid_account_number": "account", "account_frozen": "account", "account_closed": "account"}


class CardPaymentForm(InlineForm):
    """Enter (or Review) opens the confirmation; Confirm there charges; Cancel or Escape charges nothing."""

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
                edit.setEchoMode(QLineEdit.EchoMode.Password)  # masked while typed, never shown in full
            edit.textEdited.connect(self._changed)
            edit.returnPressed.connect(self.submit)
            self.add_field(key, label, edit)
            if key == "number":
                self.card_hint = QLabel("", objectName="muted")
                self.layout_.addRow("", self.card_hint)
                edit.textEdited.connect(self._hint)
        account = self.fields["account"]
        assert isinstance(account, QLineEdit)
        account.editingFinished.connect(self._account_currency)
        self.manual = QCheckBox("Capture &later (authorize only)")
        self.add_field("capture", "", self.manual)
        self.charge_button = QPushButton("&Review…", objectName="primary", default=True)
        self.charge_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton("Cancel", autoDefault=False)
        self.cancel_button.setToolTip("Close without charging; the card number and CVC are erased (Esc)")
        self.finish(button_row(self.charge_button, self.cancel_button))
        self.dialog: ConfirmDialog | None = None

    def text(self, key: str) -> str:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def _changed(self) -> None:
        self._request = None
        self._request_id = None

    def _account_currency(self) -> None:
        """An empty Currency takes the account's own (read on the worker) once the account is typed."""
        try:
            number = numbers.validate(self.text("account"))
        except QenexError:
            return
        if self.text("currency"):
            return
        teller, actor = self.services.teller, self.actor
        Op(self, lambda _t: teller.account(actor, number).account.currency).success(
            lambda code: self._fill_currency(number, code)).failure(lambda _err: None).run_in_background()

    def _fill_currency(self, number: str, code: str) -> None:
        edit = self.fields["currency"]
        assert isinstance(edit, QLineEdit)
        if not edit.text().strip() and self.text("account") == number:
            edit.setText(code)

    def _hint(self, text: str) -> None:
        """Brand and last four as typed: what the teller checks against the card (the number stays masked)."""
        digits = cards.digits_only(text) if text.strip() else ""
        if len(digits) < 4:
            self.card_hint.setText("")
            return
        name = BRAND_NAMES.get(cards.brand(digits) or "", "card")
        from stdnum import luhn

        ok = 12 <= len(digits) <= 19 and luhn.is_valid(digits)
        check = " · the check digit is right" if ok else " · not complete, or mistyped"
        self.card_hint.setText(f"{name} ending {digits[-4:]} ({len(digits)} digits){check}")

    def clear_card(self) -> None:
        """Erase the card number and CVC (Cancel, Escape, after sending)."""
        self._clear_card()
        self.card_hint.setText("")
        self._changed()

    def _clear_card(self) -> None:
        for key in ("number", "cvc"):
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()

    def submit(self) -> None:
        """Check the fields and open the confirmation (nothing is charged before Confirm)."""
        if self._busy or (self.dialog is not None and self.dialog.isVisible()):
            return
        self.clear()
        try:  # every field at once, the amount against the provider's minimum too (core.payments.checks)
            checked = self.services.payments.check_form(self.text("account"), self.text("amount"),
                                                        self.text("currency"), self.text("number"),
                                                        self.text("expiry"), self.text("cvc"))
        except QenexError as err:
            self.show_refusals(err, lambda one: getattr(one, "field", None) or _FIELD_BY_CODE.get(one.code))
            return
        account, amount, code, card, brand = (checked.account, checked.amount, checked.currency, checked.card,
                                              checked.brand)
        month, year = card.exp_month, card.exp_year
        self._request_id = self._request_id or f"pay_{uuid.uuid4().hex[:24]}"
        manual = self.manual.isChecked()
        req = PaymentRequest(self._request_id, account, amount, code, card, capture="manual" if manual else "automatic")
        self._request = req
        shown = money.format_minor(amount, code)
        rows = [("Card", f"{BRAND_NAMES[brand]} {cards.mask(card.number)}, expires {month:02d}/{year % 100:02d}"),
                ("Amount", shown), ("Into account", account),
                ("Posts", f"card clearing → {account} when captured"),
                ("Capture", "later, from the Payments page (authorize only)" if manual else "now")]
        outcome = (f"{shown} will be authorized on the card and held for capture." if manual else
                   f"{shown} will be charged to the card and credited to account {account}. The fraud screen scores "
                   "it first; the cardholder's bank may ask them to approve it (3-D Secure).")
        self.dialog = ConfirmDialog(self.window(), "Confirm card payment", rows, outcome, lambda: self._charge(req),
                                    confirm_text="&Authorize now" if manual else "&Charge now")
        self.dialog.rejected.connect(lambda: self.set_status("Not charged: nothing was sent.", ok=True))
        self.dialog.open()

    def _charge(self, req: PaymentRequest) -> None:
        payments, actor = self.services.payments, self.actor
        self._busy = True
        self.charge_button.setEnabled(False)
        self._clear_card()  # the card leaves the screen now; the request object goes to the worker only
        self.card_hint.setText("")
        self._request = None
        Op(self, lambda _task: payments.create(actor, req)).success(self._done).failure(self._failed).run_in_background()

    def _done(self, view: PaymentView) -> None:
        self._busy = False
        self.charge_button.setEnabled(True)
        self._request_id = None
        words = {"succeeded": "captured", "requires_capture": "authorized",
                 "requires_action": "waiting for the cardholder's 3-D Secure approval: when they have approved it "
                                    "in their banking app, select it on the Payments page and press Continue 3-D "
                                    "Secure"}.get(view.status, view.status)
        if view.fraud_decision == "review" and view.status == "requires_capture":
            words = "authorized and held for fraud review (the fraud queue releases or declines it)"
        self.set_status(f"Payment {view.id}: {money.format_minor(view.amount, view.currency)} {words} ({view.card})",
                        ok=True)
        amount = self.fields["amount"]
        assert isinstance(amount, QLineEdit)
        amount.clear()  # the next payment needs its own amount (and card): nothing is charged twice by accident
        self.paid.emit(view)

    def _failed(self, err: Exception) -> None:
        self._busy = False
        self.charge_button.setEnabled(True)
        if isinstance(err, QenexError):
            if not isinstance(err, DatabaseUnavailable):  # unknown outcome: the same id next time, never twice
                self._request_id = None
            self.show_refusals(err, lambda one: getattr(one, "field", None) or _FIELD_BY_CODE.get(one.code))
        else:
            self.show_failure(err, None)


class CardPaymentDialog(QDialog):
    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New card payment")
        self.form = CardPaymentForm(services, actor, self)
        self.form.cancel_button.clicked.connect(self.reject)
        self.rejected.connect(self.form.clear_card)  # Cancel, Escape or the window's close: the card is erased
        box = QVBoxLayout(self)
        box.addWidget(self.form)
        self.resize(500, 460)
