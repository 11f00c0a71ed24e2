"""The base of the teller's money forms: local checks, a request id per distinct input (so a retry after
an unknown outcome is idempotent), a preview and confirmation before anything posts, results and
refusals inline.

Input is checked on the UI thread with core's pure validators (account check digits, currency codes,
amounts in the operator's locale) so mistakes show at once; previews and postings run on the database
worker.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from app.services import Services
from app.tasks import DatabaseWatch, Op
from core.errors import DatabaseUnavailable, QenexError, Refusals
from core.ledger import money, numbers
from core.ledger.errors import AccountNotFound
from core.ledger.views import TransferResult
from core.security.roles import Actor
from ui.forms import InlineForm
from ui.teller.amounts import operator_locale, parse_amount
from ui.teller.decisions import DecisionWatch, told
from ui.errors import console_words

# Which field a refusal from core is about, by error code.
_FIELD_BY_CODE = {
    "invalid_amount": "amount", "too_many_decimals": "amount", "insufficient_funds": "amount",
    "amount_too_large": "amount", "account_totals_full": "amount", "unknown_currency": "currency",
    "currency_mismatch": "currency", "same_account": "to",
}


class LedgerForm(InlineForm):
    """Shared behaviour of the transfer and cash forms."""

    posted = Signal(object)  # TransferResult

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self.locale = operator_locale()
        self._request_id: str | None = None
        self._busy = False
        self.dialog = None  # the open confirmation, if any
        DatabaseWatch.shared().changed.connect(self._database_changed)
        self.last: TransferResult | None = None  # the last posting, whose receipt can be printed
        self.receipt_button: QPushButton | None = None
        self.shown_customer: int | None = None  # the customer on screen (the page sets it), None: none or a GL account
        self.after_posting: tuple[str, ...] = ("amount",)  # fields cleared once something posted (no duplicates)
        self.decisions = DecisionWatch(self, services, actor)  # requests sent for approval: told when decided

    def tell_when_decided(self, request_id: int, what: str, go: str, nothing: str) -> None:
        """Replace the "Waiting for approval" line once a supervisor decides request ``request_id`` (live, or F5)."""
        def decided(view) -> None:  # noqa: ANN001
            words, tone = told(view, what, go, nothing)
            if words:
                self.set_status(words, ok=tone != "error", warning=tone == "warning")

        self.decisions.watch(request_id, decided)

    def make_receipt_button(self, text: str) -> QPushButton:
        """The "Print receipt" button of this form (enabled once something posted; each copy numbered)."""
        self.receipt_button = QPushButton(text)
        self.receipt_button.setEnabled(False)
        self.receipt_button.setToolTip("Save the receipt of the last posting as a PDF (each copy is numbered; "
                                       "reprints are audited)")
        self.receipt_button.clicked.connect(self.print_receipt)
        self.status.setOpenExternalLinks(True)
        return self.receipt_button

    def remember(self, result: TransferResult) -> None:
        """``result`` posted (or is held): its receipt can be printed."""
        self.last = result
        if self.receipt_button is not None:
            self.receipt_button.setEnabled(True)

    def forget_receipt(self) -> None:
        """Nothing new posted (refused, or another account on screen): no receipt to print."""
        self.last = None
        if self.receipt_button is not None:
            self.receipt_button.setEnabled(False)

    def print_receipt(self) -> None:
        if self.last is None:
            return
        from ui.teller.receipts import print_receipt

        print_receipt(self, self.services, self.actor, self.last.id, self._receipt_saved,
                      lambda err: self.show_failure(err, None))

    def _receipt_saved(self, path: Path, copy: int) -> None:
        from ui.teller.receipts import link

        # under the result, not instead of it: "Waiting for approval … request #4" stays on screen (QA #8)
        self.add_status_line(link(path, "Receipt saved" + (f" (reprint, copy {copy}):" if copy > 1 else ":")))

    def _database_changed(self, state: str, _detail: str) -> None:
        """While this form's posting waits on a lost database, say so (the worker keeps retrying)."""
        if self._busy and state == "retrying":
            self.set_status("Database unreachable, retrying… (the transfer keeps its id: it never posts twice)",
                            ok=False)

    def line(self, key: str, label: str, placeholder: str = "", max_length: int = 64) -> QLineEdit:
        edit = QLineEdit(placeholderText=placeholder, maxLength=max_length)
        edit.textEdited.connect(self._input_changed)
        edit.returnPressed.connect(self.submit)
        self.add_field(key, label, edit)
        return edit

    def submit(self) -> None:  # pragma: no cover - each form has its own
        raise NotImplementedError

    def _input_changed(self) -> None:
        self._request_id = None  # different input: a new transfer, so a new idempotency key
        # the form no longer shows what the result line describes: "Print receipt" must not print the
        # previous transaction next to a different amount (QA7 #1)
        self.forget_receipt()

    def set_error(self, key: str, message: str) -> None:
        """Any wrong field (local check or core's refusal): no receipt of an earlier transaction (QA7 #1)."""
        self.forget_receipt()
        super().set_error(key, message)

    def look_up(self, accounts: dict[str, str | None]) -> None:
        """Other fields are wrong, so nothing is previewed: still look the typed accounts up on the worker and
        mark the unknown ones, so every wrong field shows at once, not one per attempt (QA7 #2)."""
        accounts = {key: number for key, number in accounts.items() if number}
        if not accounts:
            return
        teller, actor = self.services.teller, self.actor

        def work(_task: object) -> dict[str, QenexError]:
            unknown: dict[str, QenexError] = {}
            for key, number in accounts.items():
                try:
                    teller.account(actor, number)
                except AccountNotFound as err:
                    unknown[key] = err
                except QenexError:
                    pass  # not the look-up's to say: the review refuses it the usual way
            return unknown

        def show(unknown: dict[str, QenexError]) -> None:
            for key, err in unknown.items():  # only if the field still holds that account, unmarked
                if _same_account(self.text(key), accounts[key]) and self.errors[key].isHidden():
                    self.set_error(key, console_words(err))

        Op(self, work).success(show).failure(lambda _err: None).run_in_background()

    def text(self, key: str) -> str:
        widget = self.fields[key]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def check_account(self, key: str) -> str | None:
        try:
            return numbers.validate(self.text(key))
        except QenexError as err:
            self.set_error(key, "enter an account number" if not self.text(key) else console_words(err))
            return None

    def check_money(self) -> tuple[int, str] | None:
        """(minor units, currency) from the amount and currency fields, or None with errors shown."""
        try:
            code = money.currency(self.text("currency"))
        except QenexError as err:
            self.set_error("currency", "enter the currency, e.g. USD" if not self.text("currency")
                           else console_words(err))
            return None
        try:
            return parse_amount(self.text("amount"), code, self.locale), code
        except QenexError as err:
            self.set_error("amount", console_words(err))
            return None

    def request_id(self) -> str:
        self._request_id = self._request_id or uuid.uuid4().hex
        return self._request_id

    def review(self, preview: Callable[[], object], show: Callable[[object], None]) -> None:
        """Run ``preview()`` on the worker; ``show(result)`` opens the confirmation, refusals land inline."""
        if self._busy:
            return
        self._set_busy(True)
        Op(self, lambda _task: preview()).success(lambda p: (self._set_busy(False), show(p))).failure(
            self._failed).run_in_background()

    def post(self, work: Callable[[str], TransferResult], done: Callable[[TransferResult], str]) -> None:
        """Run ``work(request_id)`` on the database worker; show ``done(result)`` or the refusal inline."""
        if self._busy:
            return
        request_id = self.request_id()
        self._set_busy(True)
        Op(self, lambda _task: work(request_id)).success(
            lambda result: self._succeeded(result, done)).failure(self._failed).run_in_background()

    def _succeeded(self, result: TransferResult, done: Callable[[TransferResult], str]) -> None:
        self._set_busy(False)
        self._request_id = None
        # held for fraud review (or a pending transfer): amber, not the green of money that moved
        self.set_status(done(result), ok=True, warning=getattr(result, "state", None) == "pending")
        for key in self.after_posting:  # nothing left that invites posting the same again (QA #9)
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()
        self.posted.emit(result)

    def _failed(self, err: Exception) -> None:
        self.forget_receipt()  # "Print receipt" never prints the transaction before a refusal (QA4 #4)
        self._set_busy(False)
        if isinstance(err, QenexError) and not isinstance(err, DatabaseUnavailable):
            self._request_id = None  # core refused and wrote nothing: the next attempt is a new transfer
        # DatabaseUnavailable: the outcome is unknown, so the same id is kept: trying again never posts twice
        if isinstance(err, DatabaseUnavailable) and "never posted twice" not in console_words(err):
            err = DatabaseUnavailable(f"{console_words(err)} Sending it again is safe: it keeps its id, so it is never "
                                      "posted twice.", **err.details)
        if isinstance(err, Refusals):  # several things wrong: each under its field, the rest together (QA #6)
            loose = []
            for one in err.errors:
                key = self.field_for(one)
                if key is not None and key in self.fields and not self.errors[key].text():
                    self.set_error(key, console_words(one))
                else:
                    loose.append(console_words(one))
            if loose:
                self.set_status("; ".join(loose), ok=False)
            return
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
            button.setEnabled(not busy and (button is not self.receipt_button or self.last is not None))

    def use_account(self, number: str | None, currency: str | None) -> None:
        """Prefill from the selected account (or clear with None); the last result or refusal goes away."""
        self.clear()
        self.clear_status()
        self.forget_receipt()
        first = "from" if "from" in self.fields else "account"
        for key, value in ((first, number or ""), ("currency", currency or "")):
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            if edit.text() != value:
                edit.setText(value)
                self._input_changed()


def also_held(result: TransferResult) -> str:
    """A request waiting for approval that the fraud screen also holds: both are said (QA4 #5), not only
    "Waiting for approval" (approving it does not settle the fraud question: an analyst does)."""
    if getattr(getattr(result, "fraud", None), "decision", None) != "review":
        return ""
    return (" It is also held for fraud review: even once approved it goes ahead only when an analyst clears it in "
            "the fraud queue.")


def _same_account(typed: str, number: str) -> bool:
    """Whether the field holds ``number`` however it was typed (spaces, dashes, Unicode digits)."""
    try:
        return numbers.validate(typed) == number
    except QenexError:
        return False
