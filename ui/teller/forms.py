"""Teller forms: a transfer between two accounts, and cash deposits and withdrawals.

Input is checked on the UI thread with core's pure validators (account check digits, currency codes,
decimals) so mistakes show at once; the posting itself runs on the database worker. A request id is
chosen before the first attempt and kept until the fields change, so a retry after an unknown outcome
is idempotent.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger import money, numbers
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor
from ui.forms import InlineForm

# Which field a refusal from core is about, by error code.
_FIELD_BY_CODE = {
    "invalid_amount": "amount", "too_many_decimals": "amount", "insufficient_funds": "amount",
    "amount_too_large": "amount", "account_totals_full": "amount",
    "unknown_currency": "currency", "currency_mismatch": "currency", "same_account": "to",
}


class LedgerForm(InlineForm):
    """Shared behaviour: local checks, one request id per distinct input, results and refusals inline."""

    posted = Signal(object)  # TransferResult

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self._request_id: str | None = None
        self._busy = False

    def line(self, key: str, label: str, placeholder: str = "", max_length: int = 64) -> QLineEdit:
        edit = QLineEdit(placeholderText=placeholder, maxLength=max_length)
        edit.textEdited.connect(self._input_changed)
        edit.returnPressed.connect(self.submit)
        self.add_field(key, label, edit)
        return edit

    def _input_changed(self) -> None:
        self._request_id = None  # different input: a new transfer, so a new idempotency key

    def text(self, key: str) -> str:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def check_account(self, key: str) -> str | None:
        try:
            return numbers.validate(self.text(key))
        except QenexError as err:
            self.set_error(key, "enter an account number" if not self.text(key) else err.message)
            return None

    def check_money(self) -> tuple[int, str] | None:
        """(minor units, currency) from the amount and currency fields, or None with errors shown."""
        try:
            code = money.currency(self.text("currency"))
        except QenexError as err:
            self.set_error("currency", err.message)
            return None
        try:
            return money.parse_amount(self.text("amount"), code), code
        except QenexError as err:
            self.set_error("amount", "enter an amount" if not self.text("amount") else err.message)
            return None

    def post(self, work: Callable[[str], TransferResult], done: Callable[[TransferResult], str]) -> None:
        """Run ``work(request_id)`` on the database worker; show ``done(result)`` or the refusal inline."""
        if self._busy:
            return
        self._request_id = self._request_id or uuid.uuid4().hex
        request_id = self._request_id
        self._set_busy(True)
        Op(self, lambda _task: work(request_id)).success(
            lambda result: self._succeeded(result, done)).failure(self._failed).run_in_background()

    def _succeeded(self, result: TransferResult, done: Callable[[TransferResult], str]) -> None:
        self._set_busy(False)
        self._request_id = None
        self.set_status(done(result), ok=True)
        amount = self.fields["amount"]
        assert isinstance(amount, QLineEdit)
        amount.clear()
        self.posted.emit(result)

    def _failed(self, err: Exception) -> None:
        self._set_busy(False)
        if isinstance(err, QenexError):
            self._request_id = None  # core refused and wrote nothing: the next attempt is a new transfer
        self.show_failure(err, self.field_for(err))

    def field_for(self, err: Exception) -> str | None:
        if not isinstance(err, QenexError):
            return None
        if err.code in _FIELD_BY_CODE:
            return _FIELD_BY_CODE[err.code]
        account = str(err.details.get("account", ""))
        for key in ("from", "to", "account"):
            if key in self.fields and account and _same_account(self.text(key), account):
                return key
        return None

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in self.findChildren(QPushButton):
            button.setEnabled(not busy)

    def use_account(self, number: str, currency: str) -> None:
        """Prefill from the account selected in the table."""
        first = "from" if "from" in self.fields else "account"
        for key, value in ((first, number), ("currency", currency)):
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            if edit.text() != value:
                edit.setText(value)
                self._input_changed()


class TransferForm(LedgerForm):
    """From, to, amount, currency, description; Enter posts."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(services, actor, parent)
        self.line("from", "&From account", "account number, e.g. 1000000016", 24)
        self.line("to", "&To account", "account number", 24)
        self.line("amount", "&Amount", f"e.g. {money.example('USD')}", 40)
        self.line("currency", "C&urrency", "ISO code, e.g. USD", 8)
        self.line("description", "&Description", "optional", 200)
        self.submit_button = QPushButton("Post transfer", objectName="primary", default=True)
        self.submit_button.clicked.connect(self.submit)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.submit_button)
        box.addStretch(1)
        self.finish(row)

    def submit(self) -> None:
        self.clear()
        debit, credit, amount = self.check_account("from"), self.check_account("to"), self.check_money()
        if debit and credit and debit == credit:
            self.set_error("to", "the destination must differ from the source account")
            return
        if not (debit and credit and amount):
            return
        minor, code = amount
        description, actor, ledger = self.text("description"), self.actor, self.services.ledger

        def work(request_id: str) -> TransferResult:
            return ledger.transfer(actor, TransferRequest(
                id=request_id, debit=debit, credit=credit, amount=minor, currency=code,
                description=description, channel="desk", device=actor.device))

        self.post(work, lambda r: f"Posted {money.format_minor(r.amount, r.currency)} from {r.debit} to "
                                  f"{r.credit} ({r.state}, id {r.id[:12]}…)")


class CashForm(LedgerForm):
    """Cash deposit or withdrawal for one account."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(services, actor, parent)
        self._deposit: bool | None = None
        self.line("account", "A&ccount", "account number", 24)
        self.line("amount", "A&mount", f"e.g. {money.example('USD')}", 40)
        self.line("currency", "Cu&rrency", "ISO code", 8)
        self.deposit_button = QPushButton("Deposit", objectName="primary")
        self.withdraw_button = QPushButton("Withdraw")
        self.deposit_button.clicked.connect(lambda: self.move_cash(deposit=True))
        self.withdraw_button.clicked.connect(lambda: self.move_cash(deposit=False))
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.deposit_button)
        box.addWidget(self.withdraw_button)
        box.addStretch(1)
        self.finish(row)

    def submit(self) -> None:
        """Enter deposits (the default action); Withdraw needs its button."""
        self.move_cash(deposit=True)

    def move_cash(self, *, deposit: bool) -> None:
        self.clear()
        account, amount = self.check_account("account"), self.check_money()
        if not (account and amount):
            return
        minor, code = amount
        if self._deposit is not deposit:
            self._input_changed()  # switching between deposit and withdrawal is a different request
            self._deposit = deposit
        actor, ledger = self.actor, self.services.ledger
        verb = "Deposited" if deposit else "Withdrew"
        call = ledger.deposit if deposit else ledger.withdraw
        self.post(lambda request_id: call(actor, account, minor, code, id=request_id),
                  lambda r: f"{verb} {money.format_minor(r.amount, r.currency)} ({'to' if deposit else 'from'} "
                            f"{account})")


def _same_account(typed: str, number: str) -> bool:
    try:
        return numbers.validate(typed) == number
    except QenexError:
        return False
