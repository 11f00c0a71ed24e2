"""The left side of the teller page: a search box that finds customers as the teller types (debounced,
on the worker, ranked) over a lazily loaded list of every account (customer accounts first, the bank's
own accounts with the sign a banker reads).

Whatever row is current drives the rest of the page (``picked``), including moves that do not select
(Ctrl+End) and rows that vanish (a new search): the page never shows an account other than the one
the list points at.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QLineEdit, QStackedWidget, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.security.roles import Actor
from core.teller.display import banker_balance
from core.teller.search import SearchHit, auto_open, no_match_words, shown_query
from ui.columns import Column
from ui.table_fit import keep_whole
from ui.dates import plural
from ui.errors import show_error
from ui.layout import table_view
from ui.lazy_model import LazyTableModel
from ui.rows_model import RowsModel

SEARCH_DELAY_MS = 250


@dataclass(frozen=True)
class Pick:
    """What the current row points at: an account (and its customer, if any) or a customer."""

    customer_id: int | None
    account: str | None


def _found_by(hit: SearchHit) -> str:
    """Short, as the Account column shows the number: "two digits swapped", "exact account no.", "name"."""
    kind, _, detail = hit.matched.partition(" (")
    short = {"account number": "account no.", "customer number": "customer no."}.get(kind, kind)
    return detail.rstrip(")") if detail else ("exact " if hit.exact else "") + short


NAME_MIN = 80  # px the finder's name column keeps (a first name; the whole name is its tooltip)


class Finder(QWidget):
    picked = Signal(object)  # Pick, or None when nothing is current

    def __init__(self, services: Services, actor: Actor, locale: str) -> None:
        super().__init__()
        self.services, self.actor, self.locale = services, actor, locale
        self._query = ""
        self._hits_query: str | None = None  # the query the hit list shows
        self._search_seq = 0
        self._pending_row: int | None = None
        self._shown: str | None = None  # the account the list's current row pointed at
        self._restore: str | None = None  # ... to be found again after the list was reloaded

        self.search = QLineEdit(placeholderText="Name, account, IBAN, phone or customer no.", clearButtonEnabled=True)
        self.search.setToolTip("Find a customer (Ctrl+F). Typos are forgiven; results are ranked.")
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS, timeout=self._run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(self)  # ↓ moves to the list and chooses its first row (QA7 #5)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        self.caption = QLabel("All accounts — customer accounts first", objectName="muted", wordWrap=True)
        self.caption.setBuddy(self.search)

        loc = locale
        self.model = LazyTableModel((
            Column("Name", lambda a: a.name),
            Column("Number", lambda a: a.number),
            Column("Balance", lambda a: banker_balance(a.current, a.currency, a.kind, loc), align_right=True),
            Column("Status", lambda a: "" if a.status == "open" else a.status),  # shown when one is not open
        ), self._count, self._fetch, self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.model.page_loaded.connect(self._page_loaded)
        self.table = table_view()
        self.table.setModel(self.model)
        # number and balance are never cut; the name takes the room they leave (at least NAME_MIN: first name and
        # surname; the whole name in its tooltip): at the default size with a customer open the balance stayed
        # off-screen behind a sideways scroll when the name was kept whole
        self.table_fit = keep_whole(self.table, whole=(1, 2), fill=0, fill_min=NAME_MIN)  # Status: frozen/closed
        self.table.selectionModel().currentRowChanged.connect(self._account_row)
        self.model.modelReset.connect(self._accounts_reset)

        self.hits_model = RowsModel((
            Column("Name", lambda h: h.name),
            Column("Account", lambda h: h.account or "—"),
            Column("Found by", _found_by),
            Column("Customer", lambda h: h.customer_number or "bank (GL)"),
        ), self)
        self.hits = table_view()
        self.hits.setModel(self.hits_model)
        # numbers and "Found by" are never cut, nor is the name (it takes the rest); an Account column that is
        # all "—" (a search by name) is hidden instead of keeping its width (QA4 #2)
        self.hits_fit = keep_whole(self.hits, whole=(0,), fill=0)
        self.hits.selectionModel().currentRowChanged.connect(self._hit_row)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.hits)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(self.search)
        root.addWidget(self.caption)
        root.addWidget(self.stack, 1)
        QWidget.setTabOrder(self.search, self.table)
        QWidget.setTabOrder(self.table, self.hits)
        self.model.reload()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- the account list ------------------------------------------------------------------------
    def _count(self) -> int:
        return self.services.ledger.count_accounts(self.actor)

    def _fetch(self, offset: int, limit: int) -> list:
        return self.services.ledger.accounts(self.actor, offset=offset, limit=limit)

    def _account_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.stack.currentWidget() is not self.table:
            return
        if not current.isValid():
            self._pending_row = None
            self.picked.emit(None)
            return
        account = self.model.row_object(current.row())
        if account is None:  # its page is still loading (e.g. after Ctrl+End): show nothing stale meanwhile
            self._pending_row = current.row()
            self.picked.emit(None)
            return
        self._pending_row = None
        self._shown = account.number
        self.picked.emit(Pick(account.customer_id, account.number))

    def _accounts_reset(self) -> None:
        """The list was reloaded (accounts were added): find the shown account again when its page loads."""
        self._restore, self._shown = self._shown, None

    def _page_loaded(self, page: int) -> None:
        if self._restore is not None and self.stack.currentWidget() is self.table:
            number, self._restore = self._restore, None
            rows = range(page * 100, min((page + 1) * 100, self.model.rowCount()))
            row = next((r for r in rows if (a := self.model.row_object(r)) is not None and a.number == number), None)
            if row is not None:
                self.table.selectRow(row)
            else:  # it is not where it was: show nothing rather than an account the list does not point at
                self.picked.emit(None)
            return
        if self._pending_row is not None and self.table.currentIndex().row() == self._pending_row:
            self._account_row(self.table.currentIndex(), QModelIndex())

    def refresh(self) -> None:
        if self._query:
            self._run_search()
        else:
            self.model.refresh()

    # -- search ---------------------------------------------------------------------------------
    def _run_search(self) -> None:
        query = self.search.text().strip()
        self._query = query
        if len(query) < 2:
            self.caption.setText("All accounts — customer accounts first" if not query else "Type at least two characters")
            if self.stack.currentWidget() is not self.table:
                self.stack.setCurrentWidget(self.table)
                self._account_row(self.table.currentIndex(), QModelIndex())
            return
        self._search_seq += 1
        seq, teller, actor = self._search_seq, self.services.teller, self.actor
        self.caption.setText(f"Searching for {shown_query(query)}…")
        Op(self, lambda _t: teller.search(actor, query)).success(lambda hits: self._found(seq, query, hits)).failure(
            lambda err: show_error(self, err)).run_in_background()

    def _found(self, seq: int, query: str, hits: list[SearchHit]) -> None:
        if seq != self._search_seq:
            return  # the teller typed on: an older answer
        exact = auto_open(hits)
        if not hits:
            words = no_match_words(query)
            caption = words[:1].upper() + words[1:]
        elif exact is not None:
            near = f", and {plural(len(hits) - 1, 'near match', 'near matches')}" if len(hits) > 1 else ""
            caption = f"Exact match for {shown_query(query)}{near}"
        else:
            caption = (f"{plural(len(hits), 'near match', 'near matches')} for {shown_query(query)}, closest first; "
                       "none is exact: choose one (↓ or click)")
        self.caption.setText(caption)
        self._shown = None
        current = self.hits_model.row_object(self.hits.currentIndex().row()) if self.hits.currentIndex().isValid() else None
        if query != self._hits_query:  # a new search, not a refresh of the same one: nothing carried over
            current = None
        self._hits_query = query
        self.stack.setCurrentWidget(self.hits)
        self.hits_model.set_rows(hits)
        # the hit the teller chose stays current after a refresh; else only an exact hit opens by itself
        same = next((i for i, h in enumerate(hits) if current is not None and
                     (h.customer_id, h.account) == (current.customer_id, current.account)), None)
        if same is None and exact is not None:
            same = hits.index(exact)
        if same is not None:
            self.hits.selectRow(same)
        else:
            self.hits.selectionModel().clearCurrentIndex()
            self.hits.clearSelection()
            self.picked.emit(None)
        if getattr(self, "_down_pending", False):  # ↓ was pressed before the search ran
            self._down_pending = False
            self._down()

    def _hit_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.stack.currentWidget() is not self.hits:
            return
        hit = self.hits_model.row_object(current.row()) if current.isValid() else None
        self.picked.emit(None if hit is None else Pick(hit.customer_id, hit.account))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Down and not event.modifiers()):
            self._down()
            return True
        return super().eventFilter(watched, event)

    def _down(self) -> None:
        """↓ in the search box: to the list shown (the hits of the search that was typed, else the accounts), its
        first row chosen unless one already is; Enter there opens it, ↓ again moves on."""
        if self._timer.isActive():  # typed but not searched yet: the list must be the one for what was typed
            self._timer.stop()
            self._down_pending = len(self.search.text().strip()) >= 2  # set first: the answer may come at once
            self._run_search()
            if self._down_pending:
                return  # done once the hits arrive (_found)
        view = self.stack.currentWidget()
        if view.model().rowCount() == 0:
            return
        view.setFocus()
        if not view.currentIndex().isValid():
            view.selectRow(0)

    def _enter(self) -> None:
        self._timer.stop()
        self._run_search()
        self.stack.currentWidget().setFocus()
