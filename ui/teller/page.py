"""The teller page: a lazily loaded accounts table, the selected account's balance and statement, and forms."""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QSplitter, QTabWidget, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.ledger.money import format_minor
from core.ledger.views import AccountView, Balance, Statement, StatementLine
from core.security.roles import Actor
from ui.columns import Column
from ui.errors import show_error
from ui.layout import card, page_header, table_view
from ui.lazy_model import LazyTableModel
from ui.live import LiveRefresh
from ui.rows_model import RowsModel
from ui.teller.forms import CashForm, TransferForm
from ui.teller.outgoing import OutgoingForm

STATEMENT_LINES = 200
SEARCH_DELAY_MS = 250
LIVE_EVENTS = ("transaction.*", "hold.*", "account.updated")  # what changes a balance, a statement or a status

ACCOUNT_COLUMNS = (
    Column("Number", lambda a: a.number),
    Column("Name", lambda a: a.name),
    Column("Currency", lambda a: a.currency),
    Column("Status", lambda a: a.status),
    Column("Current", lambda a: format_minor(a.current, a.currency), align_right=True),
    Column("Available", lambda a: format_minor(a.available, a.currency), align_right=True),
)


def _statement_columns(currency: str) -> tuple[Column, ...]:
    return (
        Column("When", lambda ln: ln.at.astimezone().strftime("%Y-%m-%d %H:%M")),
        Column("Description", lambda ln: ln.description or ln.code),
        Column("Amount", lambda ln: format_minor(ln.amount, currency), align_right=True),
        Column("Balance after", lambda ln: format_minor(ln.balance_after, currency), align_right=True),
        Column("Transfer", lambda ln: ln.transfer_id),
    )


class TellerPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        ledger = services.ledger
        self._search = ""
        self.selected: AccountView | None = None

        self.search = QLineEdit(placeholderText="Find an account by number or name", clearButtonEnabled=True)
        self.search.setFixedWidth(320)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS, timeout=self._apply_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())

        self.model = LazyTableModel(ACCOUNT_COLUMNS, self._count_fn(), self._fetch_fn(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((100, 165, 78, 62, 110)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.statement_model = RowsModel(_statement_columns("USD"), self)
        self.statement = table_view()
        self.statement.setModel(self.statement_model)
        for column, width in enumerate((125, 170, 105, 115)):
            self.statement.setColumnWidth(column, width)
        self.statement_title = QLabel("Statement", objectName="muted")

        self.transfer_form = TransferForm(services, actor)
        self.cash_form = CashForm(services, actor)
        for form in (self.transfer_form, self.cash_form):
            form.posted.connect(self._posted)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.transfer_form, "Transfer")
        self.tabs.addTab(self.cash_form, "Cash")
        self.outgoing_form = OutgoingForm(services, actor)
        self.outgoing_form.posted.connect(self._posted)
        self.tabs.addTab(self.outgoing_form, "Outgoing")

        self.balance_card, balance_box = card()
        self.account_label = QLabel("Select an account", objectName="muted", wordWrap=True)
        self.current_label = QLabel("—", objectName="bigNumber")
        self.available_label = QLabel("—", objectName="bigNumber")
        self.pending_label = QLabel("", objectName="muted")
        grid = QGridLayout()
        grid.addWidget(QLabel("Current", objectName="muted"), 0, 0)
        grid.addWidget(QLabel("Available", objectName="muted"), 0, 1)
        grid.addWidget(self.current_label, 1, 0)
        grid.addWidget(self.available_label, 1, 1)
        balance_box.addWidget(self.account_label)
        balance_box.addLayout(grid)
        balance_box.addWidget(self.pending_label)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        statement_panel = QWidget()
        statement_box = QVBoxLayout(statement_panel)
        statement_box.setContentsMargins(0, 6, 0, 0)
        statement_box.addWidget(self.statement_title)
        statement_box.addWidget(self.statement)
        left.addWidget(statement_panel)
        left.setSizes([420, 260])
        right = QWidget()
        right.setFixedWidth(380)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.balance_card)
        right_box.addWidget(self.tabs)
        right_box.addStretch(1)

        top = QHBoxLayout()
        top.addWidget(page_header("Teller", "Accounts, balances and statements; transfers and cash at the desk."), 1)
        top.addWidget(self.search, 0, Qt.AlignmentFlag.AlignBottom)
        body = QHBoxLayout()
        body.addWidget(left, 1)
        body.addWidget(right)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addLayout(top)
        root.addLayout(body, 1)
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.transfer_form.fields["from"])
        self.model.reload()
        self.live = LiveRefresh(self, services, LIVE_EVENTS, self._on_live)

    def _on_live(self, events: list) -> None:
        """Another desk (or this one) moved money: reload balances; the details if they are about the selection."""
        self.model.refresh()
        if self.selected is not None and any(
                e.accounts() is None or self.selected.number in e.accounts() for e in events):
            self.load_details()

    def _count_fn(self):  # noqa: ANN202
        ledger, actor, search = self.services.ledger, self.actor, self._search or None
        return lambda: ledger.count_accounts(actor, search=search)

    def _fetch_fn(self):  # noqa: ANN202
        ledger, actor, search = self.services.ledger, self.actor, self._search or None
        return lambda offset, limit: ledger.accounts(actor, offset=offset, limit=limit, search=search)

    def _apply_search(self) -> None:
        self._search = self.search.text().strip()
        self.model.reload(self._count_fn(), self._fetch_fn())

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        account = self.model.row_object(rows[0].row()) if rows else None
        if account is None:
            return
        self.selected = account
        self.transfer_form.use_account(account.number, account.currency)
        self.cash_form.use_account(account.number, account.currency)
        self.outgoing_form.use_account(account.number, account.currency)
        self.load_details()

    def load_details(self) -> None:
        """Balance and statement of the selected account, fetched on the database worker."""
        if self.selected is None:
            return
        ledger, actor, number = self.services.ledger, self.actor, self.selected.number
        Op(self, lambda _task: (ledger.balance(actor, number), ledger.statement(actor, number, STATEMENT_LINES))
           ).success(self._show_details).run_in_background()

    def _show_details(self, details: tuple[Balance, Statement]) -> None:
        balance, statement = details
        if self.selected is None or balance.account != self.selected.number:
            return  # the user moved on to another account meanwhile
        c = balance.currency
        self.account_label.setText(f"{self.selected.number} · {self.selected.name} · {self.selected.status}")
        self.current_label.setText(format_minor(balance.current, c))
        self.available_label.setText(format_minor(balance.available, c))
        self.pending_label.setText(f"Pending: {format_minor(balance.pending_debits, c)} out, "
                                   f"{format_minor(balance.pending_credits, c)} in")
        self.statement_model.set_rows(statement.lines, _statement_columns(c))
        shown = len(statement.lines)
        self.statement_title.setText(f"Statement of {statement.account} — newest first, {shown} line"
                                     f"{'' if shown == 1 else 's'}")

    def statement_lines(self) -> list[StatementLine]:
        return [self.statement_model.row_object(i) for i in range(self.statement_model.rowCount())]

    def _posted(self, _result: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Reload balances in the table (keeping the scroll position) and the selected account."""
        self.model.refresh()
        self.load_details()
