"""The "Outgoing" form: a transfer to another bank (SEPA, ACH or wire) with a confirmation step.

Self-contained: ``OutgoingForm(services, actor)``; the Teller page hosts it as a tab and gives it the
selected customer's accounts (``set_accounts``): the From list offers those customer accounts only, never
the bank's GL accounts (core refuses them too). The fields a rail needs are shown for that rail only. The
beneficiary and amount are checked at once with core's pure validators (schwifty IBAN/BIC and their
countries, the ABA checksum, the currency's decimals); Review (or Enter in any field) asks the worker for
what will post (accounts, amount, fee, available balance after, the fraud screen's decision now), after
core has checked the account's currency and funds, and shows it in a confirmation dialog: Confirm (Enter
there) sends, Cancel or Escape returns to the form. Enter in the form never sends. The request id is kept
until the input changes, so a retry after an unknown outcome cannot post twice.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

from app.services import Services
from app.tasks import Op
from core.errors import DatabaseUnavailable, QenexError
from core.ledger import money, numbers
from core.payments import beneficiary
from core.payments.orders import OrderPreview, OrderRequest, OrderView
from core.security.roles import Actor
from ui.forms import InlineForm
from ui.layout import button_row
from ui.teller.confirm import HOLD_FOR_REVIEW, SEND_FOR_APPROVAL, ConfirmDialog, screen_words
from ui.teller.decisions import DecisionWatch, told
from ui.errors import console_words

CURRENCY_ROLE = 0x0101  # Qt.UserRole + 1: the account's currency on each From entry
RAILS = (("sepa", "SEPA credit transfer (EUR)"), ("ach", "ACH (USD)"), ("wire", "Wire (any currency)"))
_FIELDS_BY_RAIL = {"sepa": ("iban", "bic"), "ach": ("routing", "account_no"), "wire": ("bic", "account_no")}
_FIELD_BY_ERROR = {"iban": "iban", "bic": "bic", "routing": "routing", "account": "account_no", "name": "name",
                   "reference": "reference", "currency": "currency", "rail": "rail"}
_CODE_FIELD = {"insufficient_funds": "amount", "invalid_amount": "amount", "too_many_decimals": "amount",
               "currency_mismatch": "currency", "unknown_currency": "currency", "account_not_found": "from",
               "invalid_account_number": "from", "account_frozen": "from", "account_closed": "from",
               "not_customer_account": "from"}


class OutgoingForm(InlineForm):
    """From account, rail, beneficiary, amount; Review (Enter) opens the confirmation; Confirm there sends."""

    posted = Signal(object)  # OrderView

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self._request_id: str | None = None
        self._busy = False
        self.dialog: ConfirmDialog | None = None
        self.last: OrderView | None = None
        self.decisions = DecisionWatch(self, services, actor)  # an order sent for approval: told when decided
        self.from_account = QComboBox()
        self.from_account.setPlaceholderText("select a customer on the left")
        self.from_account.currentIndexChanged.connect(self._from_changed)
        self.rail = QComboBox()
        for key, label in RAILS:
            self.rail.addItem(label, key)
        self.rail.currentIndexChanged.connect(self._rail_changed)
        self.add_field("from", "&From account", self.from_account)
        self.add_field("rail", "&Rail", self.rail)
        self._line("name", "&Beneficiary", "name as the bank knows it", 70)
        self._line("iban", "IB&AN", "e.g. DE89 3704 0044 0532 0130 00", 42)
        self._line("bic", "B&IC", "e.g. COBADEFFXXX (empty: from the IBAN)", 11)
        self._line("routing", "Rou&ting no.", "nine digits, e.g. 011000015", 11)
        self._line("account_no", "Account n&o.", "beneficiary's account number", 34)
        self._line("amount", "A&mount", "e.g. 250.00", 24)
        self._line("currency", "C&urrency", "ISO code", 3)
        self._line("reference", "R&eference", "what the beneficiary sees", 140)
        self.review_button = QPushButton("Revie&w…", objectName="primary", default=True)
        self.review_button.clicked.connect(self.submit)
        self.receipt_button = QPushButton("Print re&ceipt")
        self.receipt_button.setEnabled(False)
        self.receipt_button.setToolTip("Save the receipt of the last order (amount, fee, total) as a PDF")
        self.receipt_button.clicked.connect(self.print_receipt)
        self.status.setOpenExternalLinks(True)
        self.finish(button_row(self.review_button, self.receipt_button))
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
        self._forget_order()  # edited: "Print receipt" never prints the previous order (QA7 #1)

    def _forget_order(self) -> None:
        self.last = None
        if getattr(self, "receipt_button", None) is not None:  # not yet while the form is being built
            self.receipt_button.setEnabled(False)

    def set_error(self, key: str, message: str) -> None:
        """Any wrong field (local check or refusal): no receipt of an earlier order (QA7 #1)."""
        self._forget_order()
        super().set_error(key, message)

    def print_receipt(self) -> None:
        """The receipt of the last order's transfer: amount, fee and total debited (``core.teller`` receipts)."""
        if self.last is None:
            return
        from ui.teller.receipts import link, print_receipt

        print_receipt(self, self.services, self.actor, self.last.transfer_id,
                      lambda path, copy: self.add_status_line(link(path, "Receipt saved" + (
                          f" (reprint, copy {copy}):" if copy > 1 else ":"))),
                      lambda err: self.show_failure(err, None))

    def _from_changed(self, _index: int) -> None:
        """Another From account: a new transfer (new id), the last result and refusals go away."""
        self._input_changed()
        self.last = None
        self.receipt_button.setEnabled(False)
        self.clear()
        self.clear_status()
        currency = self.from_account.currentData(CURRENCY_ROLE)
        if currency and not beneficiary.RAIL_CURRENCY.get(self.rail.currentData()):
            self.set_text("currency", currency)

    def set_accounts(self, accounts: list[tuple[str, str, str]], selected: str | None = None) -> None:
        """The From list: ``(number, currency, name)`` of the selected customer's accounts (customer
        accounts only; the Teller page never passes a GL account). Keeps the current choice if it is
        still there, else ``selected``."""
        before = self.from_account.currentData()
        current = selected or before
        self.from_account.blockSignals(True)
        self.from_account.clear()
        for number, currency, name in accounts:
            self.from_account.addItem(f"{number} · {currency} · {name}", number)
            self.from_account.setItemData(self.from_account.count() - 1, currency, CURRENCY_ROLE)
        index = self.from_account.findData(current) if current else -1
        self.from_account.setCurrentIndex(index if index >= 0 else (0 if accounts else -1))
        self.from_account.blockSignals(False)
        # The page refreshes the list after every order (and on live events): the same account still chosen is
        # no change, so the result line and "Print receipt" stay (clearing them here hid every result, QA3 #1).
        if self.from_account.currentData() != before or before is None:
            self._from_changed(self.from_account.currentIndex())

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

    def use_account(self, number: str | None, currency: str | None) -> None:
        """Select ``number`` in the From list if it is one of the customer's accounts (and a rail that fits
        its currency); a GL account or None leaves the list as it is."""
        index = self.from_account.findData(number) if number else -1
        if index < 0:
            return
        self.from_account.setCurrentIndex(index)
        rail = {"EUR": "sepa", "USD": "ach"}.get(currency or "", "wire")
        self.rail.setCurrentIndex([k for k, _l in RAILS].index(rail))
        self.set_text("currency", currency)

    def _enter(self) -> None:
        self.submit()  # Enter in the form reviews; only the confirmation sends

    # -- review and confirm ---------------------------------------------------------------------
    def request(self) -> OrderRequest | None:
        """The checked request, or None with the errors shown under their fields."""
        self.clear()
        rail = self.rail.currentData()
        ok = True
        number = self.from_account.currentData()
        try:
            account = numbers.validate(number or "")
        except QenexError as err:
            self.set_error("from", "select the customer's account to pay from (find the customer on the left)"
                           if not number else console_words(err))
            ok = False
        # every field is checked and every error shown at once, not one per attempt (QA #6)
        try:
            code = money.currency(self.text("currency"))
        except QenexError as err:
            self.set_error("currency", console_words(err))
            return None
        try:
            amount = money.parse_amount(self.text("amount"), code)
        except QenexError as err:
            self.set_error("amount", console_words(err))
            ok = False
        ben, errors = beneficiary.check_each(
            rail, code, name=self.text("name"), iban=self.text("iban") or None, bic=self.text("bic") or None,
            routing=self.text("routing") or None, account_number=self.text("account_no") or None,
            reference=self.text("reference"))
        for err in errors:
            key = _FIELD_BY_ERROR.get(str(err.details.get("field")), "name")
            if key in self.fields and not self.errors[key].text():
                self.set_error(key, console_words(err))
        if not ok or ben is None:
            return None
        self._request_id = self._request_id or f"ord_{uuid.uuid4().hex[:24]}"
        return OrderRequest(self._request_id, account, amount, code, ben)

    def submit(self) -> None:
        """Review: check the input, then fetch what will post on the worker and show it."""
        if self._busy or (self.dialog is not None and self.dialog.isVisible()):
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
        fmt = lambda minor: money.format_minor(minor, p.currency)  # noqa: E731
        ben = req.beneficiary
        rows = [("Rail", beneficiary.RAIL_NAMES[p.rail]), ("From", f"{p.account}  {p.account_name}"),
                ("To", p.beneficiary)]
        if ben.file_name_note:
            rows.append(("Name in the file", ben.file_name_note))
        if ben.reference:
            rows.append(("Reference", ben.reference))
        rows += [("Amount", fmt(p.amount)), ("Fee", fmt(p.fee) if p.fee else "none"),
                 ("Total debited", fmt(p.amount + p.fee)),
                 ("Posts", f"{p.account} → {p.clearing_account} (the rail's clearing account)"
                  + (f"; fee {fmt(p.fee)} → fee income" if p.fee else "")),
                 ("Available after", fmt(p.available_after))]
        if p.decision is not None:
            rows.append(("Fraud screen", screen_words(p.decision, p.score, p.reasons)))
        outcome = {"approve": "It will be sent with the next {rail} file.",
                   "review": "Held for fraud review: the funds are reserved on the account, not sent, until an "
                             "analyst decides it in the fraud queue.",
                   "decline": "The fraud screen declines it: it will not be sent. Check it with the customer; if it "
                              "is genuine, ask a supervisor to have the fraud team review it."}.get(
            p.decision or "approve", "").format(rail=p.rail.upper())
        if p.approval and p.decision != "decline":
            outcome = (f"Sent for approval ({p.approval}): the funds are reserved on the account, nothing is sent "
                       "until a supervisor approves.")
        self.dialog = ConfirmDialog(self.window(), "Confirm outgoing transfer", rows, outcome, lambda: self.confirm(req),
                                    confirm_text=SEND_FOR_APPROVAL if p.approval else HOLD_FOR_REVIEW
                                    if p.decision == "review" else "&Confirm and send",
                                    warning=p.decision == "review" or bool(p.approval),
                                    blocked=p.decision == "decline")
        self.dialog.finished.connect(lambda _r: self.fields["amount"].setFocus())
        self.dialog.open()

    def confirm(self, req: OrderRequest) -> None:
        """Create the reviewed order (Confirm on the confirmation)."""
        if self._busy:
            return
        orders, actor = self.services.orders, self.actor
        self._set_busy(True)
        Op(self, lambda _task: orders.create(actor, req)).success(self._created).failure(self._failed).run_in_background()

    def _created(self, order: OrderView) -> None:
        self._set_busy(False)
        self._request_id = None
        self.last = order
        self.receipt_button.setEnabled(True)
        fmt = lambda minor: money.format_minor(minor, order.currency)  # noqa: E731
        held = order.funds != "posted"
        note = ("; it is held for fraud review: the funds are reserved on the account, not sent, until an analyst "
                "decides in the fraud queue" if held else "")
        if order.funds.startswith("waiting for approval"):
            note = ("; waiting for approval: the funds are reserved on the account, not sent, until a supervisor "
                    "approves it in the approvals inbox")
            self._watch(order, f"{fmt(order.amount)} to {order.name}")
        fee = f" + fee {fmt(order.fee)}" if order.fee else " (no fee)"
        if order.fee and held:
            note += "; the fee is reserved with it and charged only if the payment goes out"
        self.set_status(f"Receipt: order {order.id} created: {fmt(order.amount)}{fee} from {order.account} to "
                        f"{order.name} by {order.rail.upper()}{note}", ok=True, warning=held)
        for key in ("amount", "reference", "name", "iban", "bic", "routing", "account_no"):  # no duplicate (QA #9)
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()
        self.posted.emit(order)

    def _watch(self, order: OrderView, what: str) -> None:
        """Find the order's four-eyes request (on the worker) and tell the teller when it is decided (QA4 #1)."""
        approvals, actor = self.services.approvals, self.actor
        if approvals is None:
            return

        def find(_task: object) -> int | None:
            waiting = approvals.list(actor, "waiting", account=order.account)
            return next((r.id for r in waiting if r.transfer_id == order.transfer_id), None)

        def decided(view) -> None:  # noqa: ANN001
            words, tone = told(view, f"the order of {what}", f"order {order.id} ({what}) goes out with the next "
                               f"{order.rail.upper()} file", "nothing was sent")
            if words:
                self.set_status(words, ok=tone != "error", warning=tone == "warning")

        Op(self, find).success(lambda request_id: request_id is not None and self.decisions.watch(
            request_id, decided)).failure(lambda _err: None).run_in_background()  # the line already says it waits

    def _failed(self, err: Exception) -> None:
        self.last = None  # "Print receipt" never prints the order before a refusal (QA4 #4)
        self._set_busy(False)
        if isinstance(err, QenexError):
            if not isinstance(err, DatabaseUnavailable):  # unknown outcome: keep the id, so it never posts twice
                self._request_id = None  # refused; nothing was written
            key = _CODE_FIELD.get(err.code) or _FIELD_BY_ERROR.get(str(err.details.get("field", "")))
            self.show_failure(err, key)
        else:
            self.show_failure(err, None)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.review_button.setEnabled(not busy)
        self.receipt_button.setEnabled(not busy and self.last is not None)
