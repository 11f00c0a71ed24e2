"""Dialogs to add a customer (every know-your-customer field, checked in core, errors under each field)
and to open an account for the selected customer."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.approvals.overdraft import waiting
from core.errors import QenexError, Refusals
from core.ledger import money
from core.security.roles import Actor
from core.teller.customers import ID_TYPES, CustomerRecord, NewCustomer
from ui.forms import InlineForm
from ui.teller.amounts import operator_locale, parse_amount, show
from ui.teller.confirm import ConfirmDialog
from ui.errors import console_words

_FIELDS = ("name", "date_of_birth", "phone", "address", "country", "id_type", "id_number")


class _FormDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str, hint: str, action: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.form = InlineForm()
        self.ok_button = QPushButton(action, objectName="primary", default=True)
        self.cancel_button = QPushButton("Cancel", autoDefault=False)  # never drawn as the main action
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button.clicked.connect(self.submit)
        self._busy = False
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        self.form.setMinimumWidth(440)
        root.addWidget(QLabel(title, objectName="pageTitle"))
        self.hint = QLabel(hint, objectName="pageHint", wordWrap=True)
        root.addWidget(self.hint)
        root.addWidget(self.form)

    def finish(self) -> None:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addStretch(1)
        box.addWidget(self.cancel_button)
        box.addWidget(self.ok_button)
        self.form.finish(row)

    def submit(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _run(self, work, done) -> None:  # noqa: ANN001
        if self._busy:
            return
        self._busy = True
        self.ok_button.setEnabled(False)
        Op(self, lambda _t: work()).success(lambda r: self._done(done, r)).failure(self._failed).run_in_background()

    def _done(self, done, result) -> None:  # noqa: ANN001
        self._busy = False
        self.ok_button.setEnabled(True)
        done(result)

    def _failed(self, err: Exception) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        if isinstance(err, Refusals):  # every field's error at once, each under its field (QA #18)
            first = None
            for one in err.errors:
                key = getattr(one, "field", None)
                if key in self.form.fields:
                    self.form.set_error(key, console_words(one))
                    first = first or key
                else:
                    self.form.set_status(console_words(one), ok=False)
            if first is not None:
                self.form.fields[first].setFocus()
            return
        key = getattr(err, "field", None)
        if isinstance(err, QenexError) and err.code == "duplicate_customer":
            key = "id_number"
        self.form.show_failure(err, key if key in self.form.fields else None)


class NewCustomerDialog(_FormDialog):
    added = Signal(object)  # CustomerRecord

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent, "New customer", "Every field is required: the identity document is checked "
                                                 "against the customer in front of you.", "&Add customer")
        self.services, self.actor = services, actor
        self.edits: dict[str, QWidget] = {}
        for key, label, placeholder in (("name", "Full &name", "as on the ID document"),
                                        ("date_of_birth", "Date of &birth", "YYYY-MM-DD, e.g. 1985-04-23"),
                                        ("phone", "&Phone", "+1 202 555 0143, or as dialled in the country"),
                                        ("address", "Add&ress", "street and number, postcode, town"),
                                        ("country", "Countr&y", "ISO code, e.g. US")):
            edit = QLineEdit(placeholderText=placeholder, maxLength=300)
            edit.returnPressed.connect(self.submit)
            self.form.add_field(key, label, edit)
            self.edits[key] = edit
        self.edits["country"].setText("US")
        self.id_type = QComboBox()
        for key, text in ID_TYPES.items():
            self.id_type.addItem(text, key)
        self.form.add_field("id_type", "&ID document", self.id_type)
        id_number = QLineEdit(placeholderText="document number", maxLength=40)
        id_number.returnPressed.connect(self.submit)
        self.form.add_field("id_number", "Document n&umber", id_number)
        self.edits["id_number"] = id_number
        self.finish()
        order = [self.edits[k] for k in ("name", "date_of_birth", "phone", "address", "country")]
        order += [self.id_type, id_number, self.ok_button, self.cancel_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        self.edits["name"].setFocus()

    def value(self, key: str) -> str:
        edit = self.edits[key]
        return edit.text() if isinstance(edit, QLineEdit) else ""

    def submit(self) -> None:
        self.form.clear()
        new = NewCustomer(name=self.value("name"), date_of_birth=self.value("date_of_birth"),
                          phone=self.value("phone"), address=self.value("address"), id_type=self.id_type.currentData(),
                          id_number=self.value("id_number"), country=self.value("country"))
        teller, actor = self.services.teller, self.actor
        self._run(lambda: teller.add_customer(actor, new), self._added)

    def _added(self, record: CustomerRecord) -> None:
        self.record = record
        self.added.emit(record)
        self.accept()


class OpenAccountDialog(_FormDialog):
    opened = Signal(object)  # AccountView

    def __init__(self, services: Services, actor: Actor, customer: CustomerRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent, f"Open an account for {customer.name}", "", "&Open account")
        self.services, self.actor, self.customer = services, actor, customer
        self.locale = operator_locale()
        self.confirm: ConfirmDialog | None = None
        self.currency = QLineEdit("USD", maxLength=3)
        self.currency.textChanged.connect(self._say_limit)
        self._say_limit("USD")
        self.overdraft = QLineEdit("0", maxLength=32)
        for edit in (self.currency, self.overdraft):
            edit.returnPressed.connect(self.submit)
        self.form.add_field("currency", "C&urrency", self.currency)
        self.form.add_field("overdraft", "O&verdraft limit", self.overdraft)
        self.finish()
        self.currency.setFocus()
        self.currency.selectAll()

    def _say_limit(self, text: str) -> None:
        """The hint names the actor's own overdraft limit in the currency typed (QA: "$1,000.00 (or the same in
        another currency)" was untrue: the limit is per currency, e.g. ¥1,000 is not $1,000.00)."""
        hint = f"Customer {self.customer.number}. The overdraft limit is how far the balance may go below zero."
        try:
            code = money.currency(text)
            limit = self.services.teller.overdraft_limit(self.actor, code)
        except QenexError:
            code, limit = None, None
        if code is not None and limit is not None:
            hint += (f" On a {code} account you may set up to {show(limit, code, self.locale)} yourself; above that "
                     "a supervisor approves it.")
        self.hint.setText(hint)

    def submit(self) -> None:
        # Return in a field both fires returnPressed and presses the dialog's default button: one review only
        if self._busy or (self.confirm is not None and self.confirm.isVisible()):
            return
        self.form.clear()
        try:
            code = money.currency(self.currency.text())
        except QenexError as err:
            self.form.set_error("currency", console_words(err))
            return
        text = self.overdraft.text().strip()
        try:
            overdraft = 0 if text in ("", "0") else parse_amount(text, code, self.locale)
        except QenexError as err:
            self.form.set_error("overdraft", console_words(err))
            return
        if overdraft == 0:
            self._open(code, 0)
            return
        try:  # core says whether it waits for a supervisor, or that no supervisor could approve it (refused)
            above = self.services.teller.overdraft_check(self.actor, code, overdraft)  # configuration only
        except QenexError as err:
            self.form.set_error("overdraft", err.message)
            return
        limit = self.services.teller.overdraft_limit(self.actor, code)
        loc, name = self.locale, self.customer.name
        rows = [("Customer", f"{self.customer.number}  {name}"), ("Currency", code),
                ("Overdraft limit", show(overdraft, code, loc))]
        if above:
            if limit is not None:
                rows.append(("Your limit", show(limit, code, loc)))
            outcome = (f"{show(overdraft, code, loc)} is above your overdraft limit: a credit decision for a supervisor. "
                       "The account opens with no overdraft and a supervisor is asked to approve the limit; "
                       "nothing can be overdrawn until then.")
        else:
            outcome = f"The account opens and its balance may go down to {show(-overdraft, code, loc)}."
        self.confirm = ConfirmDialog(self, "Confirm the overdraft", rows, outcome, lambda: self._open(code, overdraft),
                                     confirm_text="Open and send for &approval" if above else "&Open account",
                                     warning=bool(above))
        self.confirm.open()

    def _open(self, code: str, overdraft: int) -> None:
        teller, actor, cid = self.services.teller, self.actor, self.customer.id
        self._run(lambda: teller.open_account(actor, cid, code, overdraft), self._opened)

    def _opened(self, account) -> None:  # noqa: ANN001
        self.account = account
        self.opened.emit(account)
        if account.overdraft_request is not None:
            c = account.currency
            asked = waiting(account, lambda amount, code: show(amount, code, self.locale))
            self.notice = QMessageBox(QMessageBox.Icon.Information, "Overdraft waits for approval",
                                      f"Account {account.number} ({c}) is open. Overdraft limit: {asked}. A "
                                      "supervisor decides it on the Approvals page.",
                                      QMessageBox.StandardButton.Ok, self.parentWidget())
            self.notice.open()
        self.accept()


__all__ = ["NewCustomerDialog", "OpenAccountDialog", "_FIELDS"]
