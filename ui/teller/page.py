"""The teller page: find the customer (left), see the customer, the account and its money (right, top),
and act on it in tabs: statement, transfer, cash, holds, activity, the teller's cash drawer, the account's
standing instructions (and outgoing payments when present).

Every read runs on the database worker; a newer selection makes older answers stale (dropped on
arrival), and the right side is cleared the moment the list points elsewhere, so it never shows an
account other than the selected one.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QPushButton, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.ledger.desk_controls import WHAT_INSTEAD, is_gl, may_move_gl
from core.ledger.views import StatementLine
from core.security.roles import Actor, Permission, sees_fraud_details
from core.teller.overview import AccountDetail, CustomerOverview
from ui.errors import show_error
from ui.layout import page_header, share
from ui.live import LiveRefresh
from ui.teller.activity import ActivityPanel
from ui.teller.amounts import operator_locale
from ui.teller.cash import CashForm
from ui.teller.customer_dialog import NewCustomerDialog, OpenAccountDialog
from ui.teller.customer_panel import CustomerPanel
from ui.teller.drawer import DrawerPanel
from ui.teller.finder import Finder, Pick
from ui.teller.holds import HoldsPanel
from ui.teller.standing import StandingPanel
from ui.teller.statement import StatementPanel
from ui.teller.transfer import TransferForm

LIVE_EVENTS = ("transaction.*", "hold.*", "account.updated")  # what changes a balance, a statement or a status


def _outgoing_form(services: Services, actor: Actor) -> QWidget | None:
    """The outgoing-payments form (``ui/teller/outgoing.py``, payments work) when this build has it."""
    try:
        from ui.teller import outgoing
    except ImportError:
        return None
    form_class = getattr(outgoing, "OutgoingForm", None) or getattr(outgoing, "OutgoingTransferForm", None)
    return form_class(services, actor) if form_class is not None else None


class TellerPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.locale = operator_locale()
        self._seq = 0
        self.pick: Pick | None = None  # what the list points at
        self._select: str | None = None  # the account to show within it
        self.overview: CustomerOverview | None = None
        self.detail: AccountDetail | None = None
        self.selected_number: str | None = None

        self.finder = Finder(services, actor, self.locale)
        self.finder.picked.connect(self._picked)
        self.customer_panel = CustomerPanel(self.locale)
        self.customer_panel.account_chosen.connect(self.select_account)
        self.customer_panel.open_button.clicked.connect(self.open_account_dialog)
        self.statement = StatementPanel(services, actor, self.locale)
        self.transfer_form = TransferForm(services, actor)
        self.cash_form = CashForm(services, actor)
        self.holds_panel = HoldsPanel(services, actor, self.locale)
        self.activity = ActivityPanel(self.locale, sees_fraud_details(actor))
        self.drawer_panel = DrawerPanel(services, actor, self.locale)
        self.standing_panel = StandingPanel(services, actor, self.locale)
        self.cash_form.posted.connect(lambda _r: self.drawer_panel.refresh())
        self.drawer_panel.changed.connect(self.cash_form.drawer_changed)  # "no open drawer" goes once one opens
        self.standing_panel.changed.connect(lambda: self.refresh(list_too=False))
        for form in (self.transfer_form, self.cash_form):
            form.posted.connect(lambda _r: self.refresh())
        self._notice: tuple[str, str] | None = None  # (account, words) to show once that account is on screen
        self.transfer_form.payer_elsewhere.connect(self._payer_elsewhere)
        self.holds_panel.holds_changed.connect(self.refresh)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.statement, "Statement")
        self.tabs.addTab(_padded(self.transfer_form), "Transfer")
        self.tabs.addTab(_padded(self.cash_form), "Cash")
        self.tabs.addTab(self.holds_panel, "Holds")
        self.tabs.addTab(self.activity, "Activity")
        self.tabs.addTab(_padded(self.drawer_panel), "Drawer")
        self.tabs.addTab(self.standing_panel, "Standing")
        self.outgoing = _outgoing_form(services, actor)
        if self.outgoing is not None:
            self.tabs.addTab(_padded(self.outgoing), "Outgoing")
            self.outgoing.posted.connect(lambda _order: self.refresh())
        for index in range(self.tabs.count()):
            self.tabs.setTabToolTip(index, f"{self.tabs.tabText(index)} (Ctrl+Tab / Ctrl+Shift+Tab to switch tabs)")
        # Page-wide, so the tabs switch wherever the focus is (QTabWidget alone reacts only inside itself).
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+Shift+Tab", -1), ("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            QShortcut(QKeySequence(keys), self, activated=lambda step=step: self.next_tab(step),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.new_customer_button = QPushButton("&New customer…")
        self.new_customer_button.setEnabled(actor.can(Permission.CUSTOMER_ADD))
        self.new_customer_button.clicked.connect(self.new_customer_dialog)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(4, 0, 0, 0)
        right_box.addWidget(self.customer_panel)
        right_box.addWidget(self.tabs, 1)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setChildrenCollapsible(False)
        body.addWidget(self.finder)
        body.addWidget(right)
        self.finder.setMinimumWidth(280)
        share(body, 2, 3)  # the finder 2/5 of the width, also with a customer open (its balances stay in view)
        top = QHBoxLayout()
        top.addWidget(page_header("Teller", "Find the customer, see the money, move it safely."), 1)
        top.addWidget(self.new_customer_button, 0, Qt.AlignmentFlag.AlignBottom)
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 8)  # a dense page: the finder gets the room (QA4 #2)
        root.addLayout(top)
        root.addWidget(body, 1)
        chain = [self.finder.search, self.finder.table, self.finder.hits, self.customer_panel.accounts, self.tabs]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        self.live = LiveRefresh(self, services, LIVE_EVENTS, self._on_live)
        self.drawer_panel.refresh()

    def _on_live(self, events: list) -> None:
        """Another desk (or this one) moved money or changed a hold: reload the list's balances, and the
        customer and account shown if the events are about them (or say nothing about which accounts)."""
        self.finder.model.refresh()
        shown = {d.account.number for d in (self.overview.accounts if self.overview else [])}
        if self.selected_number:
            shown.add(self.selected_number)
        if shown and any(e.accounts() is None or shown & set(e.accounts()) for e in events):
            self.refresh(list_too=False)

    def next_tab(self, step: int) -> None:
        """Show the next (or previous) tab and put the focus in it."""
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())
        self.tabs.currentWidget().setFocus()
        self.tabs.currentWidget().focusNextChild()

    # -- compatibility with the simple page's API (tests, screenshots) --------------------------
    @property
    def model(self):  # noqa: ANN201
        return self.finder.model

    @property
    def table(self):  # noqa: ANN201
        return self.finder.table

    @property
    def current_label(self):  # noqa: ANN201
        return self.customer_panel.current_label

    @property
    def statement_model(self):  # noqa: ANN201
        return self.statement.model

    def statement_lines(self) -> list[StatementLine]:
        return self.statement.lines()

    # -- selection ------------------------------------------------------------------------------
    def _picked(self, pick: Pick | None, *, keep: bool = False, select: str | None = None) -> None:
        """The list points at ``pick``; ``keep`` (a refresh of the same pick) keeps what is shown until the
        new figures land (so is the same pick again, e.g. a search refreshed after a posting)."""
        keep = keep or (pick is not None and pick == self.pick)
        if keep and select is None and pick is not None and self.pick is not None and pick.account is None:
            select = self.selected_number  # a customer found again: stay on the account shown
        self._seq += 1
        self.pick = pick
        self._select = select or (pick.account if pick else None)
        self.overview = None
        if pick is None:
            if self.outgoing is not None and hasattr(self.outgoing, "set_accounts"):
                self.outgoing.set_accounts([])
            self.customer_panel.show_customer(None, [], None)
            self._show_account(None)
            self.activity.show_customer(None)
            return
        seq, teller, actor = self._seq, self.services.teller, self.actor
        if pick.customer_id is not None:
            Op(self, lambda _t: teller.customer(actor, pick.customer_id)).success(
                lambda ov: self._customer_loaded(seq, ov)).failure(lambda e: show_error(self, e)).run_in_background()
        else:
            Op(self, lambda _t: teller.account(actor, pick.account)).success(
                lambda d: self._gl_loaded(seq, d)).failure(lambda e: show_error(self, e)).run_in_background()
        if not keep:
            self._show_account(None, loading=True)

    def _customer_loaded(self, seq: int, overview: CustomerOverview) -> None:
        if seq != self._seq:
            return
        self.overview = overview
        self.activity.show_customer(overview)
        if self.outgoing is not None and hasattr(self.outgoing, "set_accounts"):  # customer accounts only
            self.outgoing.set_accounts([(d.account.number, d.account.currency, d.account.name)
                                        for d in overview.accounts if d.account.kind == "deposit"], self._select)
        self.customer_panel.show_customer(overview.customer, overview.accounts, self._select)
        if not overview.accounts:
            self._show_account(None)

    def _gl_loaded(self, seq: int, detail: AccountDetail) -> None:
        if seq != self._seq:
            return
        self.activity.show_customer(None)
        if self.outgoing is not None and hasattr(self.outgoing, "set_accounts"):
            self.outgoing.set_accounts([])  # a GL account pays no outgoing transfer
        self.customer_panel.show_customer(None, [detail], detail.account.number)

    def select_account(self, number: str) -> None:
        """Show ``number``'s balances, statement, holds and prefill the forms (loaded on the worker)."""
        self._seq += 1
        seq, teller, actor = self._seq, self.services.teller, self.actor
        if number != self.selected_number:
            self._show_account(None, loading=True)
        Op(self, lambda _t: teller.account(actor, number)).success(
            lambda d: self._account_loaded(seq, d)).failure(lambda e: show_error(self, e)).run_in_background()

    def _account_loaded(self, seq: int, detail: AccountDetail) -> None:
        if seq != self._seq:
            return
        self._show_account(detail)

    def _show_account(self, detail: AccountDetail | None, loading: bool = False) -> None:
        number = detail.account.number if detail else None
        currency = detail.account.currency if detail else None
        changed = number != self.selected_number
        self.detail, self.selected_number = detail, number
        self.customer_panel.show_account(detail)
        if loading:
            self.customer_panel.account_label.setText("Loading…")
        if changed:
            # The bank's own (GL) accounts are not offered as From/To to a teller: GL money moves only through
            # the operations that own it (core.ledger.desk_controls); a supervisor may, with a reason.
            gl_refused = detail is not None and is_gl(detail.account) and not may_move_gl(self.actor)
            offered, offered_currency = (None, None) if gl_refused else (number, currency)
            for form in (self.transfer_form, self.cash_form):
                form.use_account(offered, offered_currency)
                form.shown_customer = detail.account.customer_id if detail is not None else None
                if gl_refused:
                    form.set_status(f"{number} is one of the bank's own GL accounts: tellers do not move money on "
                                    f"it directly. {WHAT_INSTEAD[0].upper()}{WHAT_INSTEAD[1:]}.", ok=False)
            if self.outgoing is not None and hasattr(self.outgoing, "use_account"):
                self.outgoing.use_account(offered, offered_currency)
            self.statement.show_account(number, currency)
            # standing instructions move money between customer accounts only (core.teller.standing)
            self.standing_panel.show_account(number, currency, gl=detail is not None and is_gl(detail.account))
        if self._notice is not None and detail is not None and self._notice[0] == number:
            self.transfer_form.set_status(self._notice[1], ok=False, warning=True)
            self._notice = None
        self.holds_panel.show_account(number, currency, detail.holds if detail else [],
                                      gl_refused=detail is not None and is_gl(detail.account)
                                      and not may_move_gl(self.actor))

    def _payer_elsewhere(self, number: str, words: str) -> None:
        """The transfer's From account is another customer's: find it (the list, the header and every tab follow
        it, as for any search) and say so on the transfer form once it is shown."""
        self._notice = (number, words)
        self.finder.search.setText(number)
        self.finder._enter()  # noqa: SLF001 - search now, not after the typing delay

    def refresh(self, list_too: bool = True) -> None:
        """F5 and after a posting: reload the list (keeping its position), the customer and the account."""
        if list_too:
            self.finder.refresh()
        if self.pick is not None:
            self._picked(self.pick, keep=True, select=self.selected_number)
        if self.selected_number:
            self.statement.show_account(self.selected_number, self.detail.account.currency if self.detail else None)
        for form in (self.transfer_form, self.cash_form, self.holds_panel, self.outgoing):
            if hasattr(form, "decisions"):
                form.decisions.check()  # a request sent for approval and decided meanwhile: its line says so (QA4 #1)

    # -- dialogs --------------------------------------------------------------------------------
    def new_customer_dialog(self) -> NewCustomerDialog:
        dialog = NewCustomerDialog(self.services, self.actor, self)
        dialog.added.connect(lambda record: self.finder.search.setText(record.number))
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_account_dialog(self) -> OpenAccountDialog | None:
        customer = self.customer_panel.customer
        if customer is None:
            return None
        dialog = OpenAccountDialog(self.services, self.actor, customer, self)
        dialog.opened.connect(lambda acc: self._opened(customer.id, acc.number))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _opened(self, customer_id: int, number: str) -> None:
        self.finder.model.refresh()
        self._picked(self.pick or Pick(customer_id, None), keep=True, select=number)


def _padded(widget: QWidget) -> QWidget:
    """A form in a tab: scrolls vertically when taller than the tab, so a long form (or its inline
    confirmation) never forces the window beyond its default size; never scrolls sideways."""
    holder = QWidget()
    box = QVBoxLayout(holder)
    box.setContentsMargins(8, 8, 8, 8)
    box.addWidget(widget)
    box.addStretch(1)
    scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(holder)
    return scroll
