"""The selected customer (details and know-your-customer gaps) with their accounts, and the selected
account's balances: current, available, overdraft limit, on hold and pending."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from core.approvals.overdraft import waiting
from core.teller.customers import ID_TYPES, CustomerRecord
from core.teller.display import banker_balance
from core.teller.identifiers import format_iban
from core.teller.overview import AccountDetail
from ui.columns import Column
from ui.layout import card, table_view
from ui.rows_model import RowsModel
from ui.teller.amounts import show


class CustomerPanel(QWidget):
    account_chosen = Signal(str)  # account number

    def __init__(self, locale: str) -> None:
        super().__init__()
        self.locale = locale
        self.customer: CustomerRecord | None = None
        self.frame, box = card()
        self.name = QLabel("Find a customer or pick an account", objectName="pageTitle")
        self.details = QLabel("", objectName="muted", wordWrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kyc = QLabel("", objectName="fieldError", wordWrap=True)
        self.kyc.hide()
        self.open_button = QPushButton("O&pen account…")
        self.open_button.setEnabled(False)
        head = QHBoxLayout()
        head.addWidget(self.name, 1)
        head.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        loc = locale
        self.model = RowsModel((
            Column("Account", lambda d: d.account.number),
            Column("IBAN", lambda d: format_iban(d.iban) or "bank's own (GL)"),
            Column("Cur", lambda d: d.account.currency),
            Column("Status", lambda d: d.account.status),
            Column("Current", lambda d: banker_balance(d.account.current, d.account.currency, d.account.kind, loc),
                   align_right=True),
            Column("Available", lambda d: show(d.account.available, d.account.currency, loc), align_right=True),
        ), self)
        self.accounts = table_view()
        self.accounts.setModel(self.model)
        # four rows and the header (112 px showed about two and a half, QA3 #6); more rows scroll
        self.accounts.setMaximumHeight(self.accounts.verticalHeader().defaultSectionSize() * 4
                                       + self.accounts.horizontalHeader().sizeHint().height()
                                       + 2 * self.accounts.frameWidth() + 2)
        self.accounts.setMinimumHeight(self.accounts.verticalHeader().defaultSectionSize() * 2  # never a sliver
                                       + self.accounts.horizontalHeader().sizeHint().height()
                                       + 2 * self.accounts.frameWidth() + 2)
        header = self.accounts.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 96), (2, 40), (3, 56), (4, 120), (5, 110)):
            self.accounts.setColumnWidth(column, width)
        self.accounts.selectionModel().currentRowChanged.connect(self._current_changed)
        box.addLayout(head)
        box.addWidget(self.details)
        box.addWidget(self.kyc)
        box.addWidget(self.accounts)

        self.balance_card, bal = card()
        self.account_label = QLabel("No account selected", objectName="muted", wordWrap=True)
        self.current_label = QLabel("—", objectName="bigNumber")
        self.available_label = QLabel("—", objectName="bigNumber")
        self.overdraft_label = QLabel("—", objectName="mediumNumber")
        self.held_label = QLabel("—", objectName="mediumNumber")
        self.pending_label = QLabel("—", objectName="mediumNumber")
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(0)
        for col, (title, widget) in enumerate((("Current", self.current_label), ("Available", self.available_label),
                                               ("Overdraft limit", self.overdraft_label),
                                               ("On hold", self.held_label), ("Pending out / in", self.pending_label))):
            grid.addWidget(QLabel(title, objectName="muted"), 0, col)
            grid.addWidget(widget, 1, col, Qt.AlignmentFlag.AlignBottom)
        grid.setColumnStretch(5, 1)
        bal.setContentsMargins(14, 8, 14, 8)
        # a frozen or closed account says so where the money is shown, not only as a word in the table (QA4 #6)
        self.status_banner = QLabel("", objectName="statusBanner", wordWrap=True)
        self.status_banner.hide()
        bal.addWidget(self.status_banner)
        bal.addWidget(self.account_label)
        bal.addLayout(grid)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(self.frame)
        root.addWidget(self.balance_card)

    def show_customer(self, customer: CustomerRecord | None, accounts: list[AccountDetail], select: str | None) -> None:
        self.customer = customer
        self.open_button.setEnabled(customer is not None)
        if customer is None:
            gl = accounts[0].account if accounts else None
            self.name.setText(gl.name if gl else "Find a customer or pick an account")
            self.details.setText("One of the bank's own (GL) accounts: its balance is shown by side (Dr/Cr)."
                                 if gl else "")
            self.kyc.hide()
        else:
            c = customer
            id_doc = f"{ID_TYPES.get(c.id_type or '', 'ID')} {c.id_number}" if c.id_number else "no ID on file"
            self.name.setText(c.name)
            self.details.setText(" · ".join([f"Customer {c.number}", f"born {c.date_of_birth or '—'}",
                                             c.phone_display or "no phone", id_doc, c.address or "no address"]))
            self.kyc.setText(f"Know-your-customer details missing: {', '.join(m.replace('_', ' ') for m in c.missing)}"
                             if c.missing else "")
            self.kyc.setVisible(bool(c.missing))
        self.model.set_rows(accounts)
        row = next((i for i, d in enumerate(accounts) if d.account.number == select), 0 if accounts else None)
        if row is not None:
            self.accounts.selectRow(row)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        detail = self.model.row_object(current.row()) if current.isValid() else None
        if detail is not None:
            self.account_chosen.emit(detail.account.number)

    def show_account(self, detail: AccountDetail | None) -> None:
        words = status_warning(detail.account.number, detail.account.status) if detail is not None else ""
        self.status_banner.setText(words)
        self.status_banner.setVisible(bool(words))
        if detail is None:
            self.account_label.setText("No account selected")
            for label in (self.current_label, self.available_label, self.overdraft_label, self.held_label,
                          self.pending_label):
                label.setText("—")
            return
        a, loc = detail.account, self.locale
        c = a.currency
        self.account_label.setText(f"{a.number} · {a.name} · {a.status}" + (
            f" · IBAN {format_iban(detail.iban)}" if detail.iban else ""))
        self.current_label.setText(banker_balance(a.current, c, a.kind, loc))
        self.available_label.setText(show(a.available, c, loc) if a.kind == "deposit" else "—")
        asked = waiting(a, lambda amount, code: show(amount, code, loc)).split(" (request")[0]
        self.overdraft_label.setText("none (GL)" if a.overdraft_limit is None else show(a.overdraft_limit, c, loc)
                                     + (f"; {asked}" if asked else ""))
        self.held_label.setText(show(detail.held, c, loc))
        self.pending_label.setText(f"{show(detail.pending_out - detail.held, c, loc)} / {show(detail.pending_in, c, loc)}")


STATUS_WARNINGS = {
    "frozen": "Account {number} is FROZEN: nothing can be paid in or out (transfers, cash, payments are refused); "
              "only a supervisor can unfreeze it.",
    "closed": "Account {number} is CLOSED: no money can move on it; open a new account if the customer needs one.",
}


def status_warning(number: str, status: str) -> str:
    """The banner for an account that is not open ("" for an open one)."""
    return STATUS_WARNINGS.get(status, "").format(number=number)
