"""The statement tab: the selected account's entries, loaded lazily a page at a time over any length,
filtered by period and amount, sorted, with the period's opening and closing balance; export to CSV
(every line, with progress and cancel) and to a PDF statement."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger.views import StatementLine
from core.security.roles import Actor
from core.teller.statement import SORTS, StatementFilter, Summary
from ui.columns import Column
from ui.dates import OptionalDateEdit, plural
from ui.errors import show_error, console_words
from ui.layout import sort_arrow, table_view
from ui.lazy_model import LazyTableModel
from ui.teller.amounts import parse_amount, show
from ui.files import save_file_name


def _columns(currency: str, locale: str) -> tuple[Column, ...]:
    return (
        Column("When", lambda ln: ln.at.astimezone().strftime("%Y-%m-%d %H:%M")),
        Column("Description", lambda ln: ln.description or ln.code),
        Column("Amount", lambda ln: show(ln.amount, currency, locale), align_right=True),
        Column("Balance after", lambda ln: show(ln.balance_after, currency, locale), align_right=True),
        Column("Transfer", lambda ln: ln.transfer_id),
    )


class StatementPanel(QWidget):
    def __init__(self, services: Services, actor: Actor, locale: str) -> None:
        super().__init__()
        self.services, self.actor, self.locale = services, actor, locale
        self.account: str | None = None
        self.currency = "USD"
        self.filter = StatementFilter(tz=datetime.now().astimezone().tzinfo)

        self.date_from, self.date_to = OptionalDateEdit(), OptionalDateEdit()
        self.min_amount = QLineEdit(placeholderText="min", maxLength=24)
        self.max_amount = QLineEdit(placeholderText="max", maxLength=24)
        self.min_amount.setToolTip("Smallest amount (money in or out)")
        self.max_amount.setToolTip("Largest amount (money in or out)")
        for edit in (self.min_amount, self.max_amount):
            edit.setFixedWidth(70)
            edit.returnPressed.connect(self.apply)
        self.sort = QComboBox()  # also set by clicking the When or Amount header
        for key, text in SORTS.items():
            self.sort.addItem(text, key)
        self.sort.currentIndexChanged.connect(self.apply)
        self.sort.hide()
        self.apply_button = QPushButton("Appl&y")
        self.apply_button.clicked.connect(self.apply)
        self.csv_button = QPushButton("&CSV…")
        self.pdf_button = QPushButton("P&DF…")
        self.csv_button.setToolTip("Export every line of this period and filter to a CSV file")
        self.pdf_button.setToolTip("Save the PDF statement of this period (bank header, opening and closing balance)")
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        filters = QHBoxLayout()
        filters.setSpacing(6)
        for label, widget in (("Fro&m", self.date_from), ("T&o", self.date_to)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
        filters.addWidget(self.min_amount)
        filters.addWidget(self.max_amount)
        filters.addWidget(self.apply_button)
        filters.addStretch(1)
        title_row = QHBoxLayout()

        self.title = QLabel("Select an account to see its statement", objectName="muted", wordWrap=True)
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.hide()
        self.model = LazyTableModel(_columns(self.currency, locale), lambda: 0, lambda _o, _l: [], self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self._counted = False
        self.model.loaded.connect(self._model_counted)
        self.table = table_view()
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # descriptions get the room
        for column, width in ((0, 124), (2, 100), (3, 112), (4, 86)):
            self.table.setColumnWidth(column, width)
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.csv_button)
        title_row.addWidget(self.pdf_button)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        sort_arrow(header, 0, descending=True)  # newest first: the arrow points down
        header.sectionClicked.connect(self._header_clicked)
        header.setToolTip("Click When or Amount to sort")
        root.addLayout(filters)
        root.addWidget(self.error)
        root.addLayout(title_row)
        root.addWidget(self.table, 1)
        self._enable(False)

    def _header_clicked(self, column: int) -> None:
        """When: newest / oldest first; Amount (or Balance): largest / smallest first."""
        current = self.sort.currentData()
        if column == 0:
            key = "oldest" if current == "newest" else "newest"
        elif column in (2, 3):
            key = "smallest" if current == "largest" else "largest"
        else:  # not sortable: the arrow (which Qt moved to the clicked column) goes back to the order shown
            key = current
        descending = key in ("newest", "largest")
        sort_arrow(self.table.horizontalHeader(), 0 if key in ("newest", "oldest") else 2, descending)
        self.sort.setCurrentIndex(self.sort.findData(key))

    def _enable(self, on: bool) -> None:
        for widget in (self.apply_button, self.csv_button, self.pdf_button):
            widget.setEnabled(on)

    def show_account(self, number: str | None, currency: str | None) -> None:
        """Load ``number``'s statement with the current filter (None: nothing selected)."""
        self.account, self.currency = number, currency or "USD"
        self._enable(number is not None)
        if number is None:
            self.title.setText("Select an account to see its statement")
            self.model.reload(lambda: 0, lambda _o, _l: [])
            return
        self._load()

    def _read_filter(self) -> StatementFilter | None:
        self.error.hide()
        try:
            low = parse_amount(self.min_amount.text(), self.currency, self.locale) if self.min_amount.text().strip() else None
            high = parse_amount(self.max_amount.text(), self.currency, self.locale) if self.max_amount.text().strip() else None
            return replace(self.filter, date_from=self.date_from.value(), date_to=self.date_to.value(),
                           min_amount=low, max_amount=high, sort=self.sort.currentData()).checked()
        except QenexError as err:
            self.error.setText(console_words(err))
            self.error.show()
            return None

    def apply(self) -> None:
        f = self._read_filter()
        if f is None or self.account is None:
            return
        self.filter = f
        self._load()

    def _load(self) -> None:
        teller, actor, number, f = self.services.teller, self.actor, self.account, self.filter
        self.model._columns = list(_columns(self.currency, self.locale))
        self._counted = False
        self.model.reload(lambda: teller.statement_count(actor, number, f),
                          lambda offset, limit: teller.statement_page(actor, number, f, offset, limit))
        self.title.setText(f"Statement of {number}: loading…")
        Op(self, lambda _t: teller.statement_summary(actor, number, f, with_count=False)).success(
            lambda s: self._summarised(number, f, s)).failure(lambda err: show_error(self, err)).run_in_background()

    def _summarised(self, number: str, f: StatementFilter, s: Summary) -> None:
        if number != self.account or f != self.filter:
            return
        self._summary = (number, f, s)
        self._show_title()

    def _show_title(self) -> None:
        """Title from the summary (balances) and the model's count (the lines), whichever lands last."""
        summary = getattr(self, "_summary", None)
        if summary is None or summary[0] != self.account or summary[1] != self.filter:
            return
        number, f, s = summary
        c, loc = self.currency, self.locale
        lines = plural(self.model.rowCount(), "entry", "entries") if self._counted else "counting entries…"
        shown = f.filter_text(c, loc)
        period = f.period_text() + (f" · only {shown}" if shown else "")
        self.title.setText(f"{number} · {period} · {SORTS[f.sort]} · {lines}"
                           f" · opening {show(s.opening, c, loc)} · closing {show(s.closing, c, loc)}")

    def _model_counted(self) -> None:
        self._counted = True
        self._show_title()

    def lines(self) -> list[StatementLine]:
        return [ln for ln in (self.model.row_object(i) for i in range(self.model.rowCount())) if ln is not None]

    def export(self, kind: str, path: Path | None = None) -> None:
        """Ask where (unless ``path`` is given) and export on the worker; CSV shows progress and can be cancelled."""
        f = self._read_filter()
        if f is None or self.account is None:
            return
        if path is None:
            chosen = save_file_name(self, f"Export statement as {kind.upper()}", f"statement-{self.account}.{kind}",
                                    f"{kind.upper()} files (*.{kind})")
            if not chosen:
                return
            path = Path(chosen)
        teller, actor, number = self.services.teller, self.actor, self.account
        if kind == "csv":
            op = Op(self, lambda task: teller.export_csv(actor, number, f, path,
                                                         lambda done, total: task.step(done, total, "")))
            op.with_progress(f"Exporting the statement of {number}…").success(
                lambda n: self._exported(f"Exported {plural(n, 'line')} to {path}"))
        else:
            op = Op(self, lambda _t: teller.statement_pdf(actor, number, f).save(path)).success(
                lambda saved: self._exported(f"Saved the PDF statement to {saved}"))
        op.failure(self._export_failed).run_in_background()

    def _exported(self, text: str) -> None:
        self.error.hide()
        self.last_export = text
        self.title.setText(text)

    def _export_failed(self, err: Exception) -> None:
        if isinstance(err, QenexError):
            self.error.setText(console_words(err))
            self.error.show()
        else:
            show_error(self, err)

