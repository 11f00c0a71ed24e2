"""The Drawer tab: open a drawer with its float counted by denomination, see the cash it should hold,
move cash to and from the vault, close it blind, save the drawer report (PDF), and see the cash flagged
for a currency transaction report today."""
from __future__ import annotations

import uuid
from datetime import datetime, time
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.drawers import denominations as dn
from core.drawers.records import CashReportView, SessionView
from core.drawers.service import check_name
from core.errors import QenexError
from core.ledger import money
from core.security.roles import Actor, Permission
from ui.columns import Column
from ui.forms import InlineForm
from ui.layout import table_view
from ui.rows_model import RowsModel
from ui.teller.amounts import hint, parse_amount, show
from ui.teller.confirm import ConfirmDialog
from ui.teller.count_grid import CountGrid
from ui.teller.drawer_close import CloseDrawerDialog, difference_text
from ui.files import save_file_name
from ui.errors import console_words


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


class DrawerPanel(QWidget):
    changed = Signal()  # a drawer opened or closed, or cash moved

    def __init__(self, services: Services, actor: Actor, locale: str) -> None:
        super().__init__()
        self.services, self.actor, self.locale = services, actor, locale
        self.session: SessionView | None = None
        self._vault_id: str | None = None
        self.dialog: CloseDrawerDialog | None = None
        self.confirm_dialog: ConfirmDialog | None = None  # opening the drawer and vault moves are confirmed
        self.title = QLabel("Loading the drawer…", objectName="muted", wordWrap=True)
        # one of the two shows: a hidden widget takes no room (a stacked widget kept the taller one's height)
        self.open_page, self.session_page = self._open_page(), self._session_page()
        self.session_page.hide()
        self.sessions_model = RowsModel(self._session_columns(), self)
        self.sessions_table = table_view()
        self.sessions_table.setModel(self.sessions_model)
        self.sessions_table.setMinimumHeight(120)
        header = self.sessions_table.horizontalHeader()  # packed left: each column as wide as what it shows
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.report_button = QPushButton("Save &report (PDF)…")
        self.report_button.clicked.connect(self.save_report)
        self.ctr_model = RowsModel(self._ctr_columns(), self)
        self.ctr_table = table_view()
        self.ctr_table.setModel(self.ctr_model)
        self.ctr_table.setMinimumHeight(90)
        self.ctr_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.ctr_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel(objectName="formStatus", wordWrap=True)
        self.status.hide()
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.addWidget(self.title)
        root.addWidget(self.status)
        root.addWidget(self.open_page)
        root.addWidget(self.session_page)
        head = QHBoxLayout()
        head.addWidget(QLabel("Your recent drawer sessions", objectName="muted"), 1)
        head.addWidget(self.report_button)
        root.addLayout(head)
        root.addWidget(self.sessions_table)
        root.addWidget(QLabel("Cash flagged today for a currency transaction report", objectName="muted"))
        root.addWidget(self.ctr_table)
        allowed = actor.can(Permission.CASH)
        for button in (self.open_button, self.close_button, self.from_vault_button, self.to_vault_button):
            button.setEnabled(allowed)

    # -- building --------------------------------------------------------------------------------
    def _open_page(self) -> QWidget:
        self.open_form = InlineForm()
        self.name_edit = QLineEdit("D1", placeholderText="e.g. D1", maxLength=32)
        self.currency_edit = QLineEdit("USD", placeholderText="ISO code", maxLength=3)
        self.currency_edit.editingFinished.connect(self._currency_changed)
        self.float_grid = CountGrid(self.locale)
        self.float_grid.set_currency("USD")
        self.open_form.add_field("drawer", "Dra&wer", self.name_edit)
        self.open_form.add_field("currency", "C&urrency", self.currency_edit)
        self.open_form.add_field("counts", "Opening &float", self.float_grid)
        self.open_form.captions["counts"].setBuddy(self.float_grid.first())
        self.open_button = QPushButton("&Open drawer…", objectName="primary")
        self.open_button.clicked.connect(self.open_drawer)
        for edit in (self.name_edit, self.currency_edit, *self.float_grid.edits.values()):
            edit.returnPressed.connect(self.open_drawer)
        self.open_form.finish(self.open_button)
        return self.open_form

    def _session_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        self.session_label = QLabel(wordWrap=True)
        self.expected_label = QLabel(objectName="mediumNumber")
        box.addWidget(self.session_label)
        box.addWidget(self.expected_label)
        self.vault_form = InlineForm()
        self.vault_amount = QLineEdit(placeholderText=hint(), maxLength=32)
        self.vault_amount.textEdited.connect(lambda _t: setattr(self, "_vault_id", None))
        self.vault_form.add_field("amount", "Vault &amount", self.vault_amount)
        self.from_vault_button = QPushButton("From &vault to drawer…")
        self.to_vault_button = QPushButton("From drawer &to vault…")
        self.from_vault_button.clicked.connect(lambda: self.vault(True))
        self.to_vault_button.clicked.connect(lambda: self.vault(False))
        row = QWidget()
        rb = QHBoxLayout(row)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(self.from_vault_button)
        rb.addWidget(self.to_vault_button)
        rb.addStretch(1)
        self.vault_form.finish(row)
        box.addWidget(self.vault_form)
        self.close_button = QPushButton("&Close drawer (blind count)…", objectName="primary")
        self.close_button.clicked.connect(self.close_dialog)
        row2 = QHBoxLayout()
        row2.addWidget(self.close_button)
        row2.addStretch(1)
        box.addLayout(row2)
        return page

    def _session_columns(self) -> tuple[Column, ...]:
        loc = self.locale

        def state(s: SessionView) -> str:
            return {"open": "open", "counted": "counted, not closed"}.get(s.status, f"closed {_when(s.closed_at)}")

        def difference(s: SessionView) -> str:
            if s.difference is None:
                return ""  # not counted yet: nothing to show (the count is blind)
            return difference_text(s.difference, s.currency, loc) + (f", signed by {s.supervisor}" if s.supervisor
                                                                      else "")

        return (Column("#", lambda s: str(s.id), align_right=True), Column("Drawer", lambda s: f"{s.drawer} {s.currency}"),
                Column("Opened", lambda s: _when(s.opened_at)), Column("Status", state),
                Column("Counted", lambda s: "" if s.counted is None else show(s.counted, s.currency, loc),
                       align_right=True),
                Column("Difference", difference))

    def _ctr_columns(self) -> tuple[Column, ...]:
        loc = self.locale
        return (Column("Time", lambda r: _when(r.flagged_at)), Column("Account", lambda r: r.account),
                Column("In/out", lambda r: r.direction),
                Column("Amount", lambda r: show(r.amount, r.currency, loc), align_right=True),
                Column("ID document", lambda r: f"{r.id_type.replace('_', ' ')} {r.id_number}"),
                Column("Teller", lambda r: r.teller))

    # -- loading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        drawers, actor = self.services.drawers, self.actor
        today = datetime.combine(datetime.now().date(), time(0)).astimezone()

        def load(_t):  # noqa: ANN001, ANN202
            return (drawers.sessions(actor, mine=True), drawers.recent(actor, 10, mine=True),
                    drawers.cash_reports(actor, since=today, limit=200))

        Op(self, load).success(self._loaded).failure(lambda err: self._say(console_words(err) if isinstance(
            err, QenexError) else str(err), ok=False)).run_in_background()

    def _loaded(self, data: tuple[list[SessionView], list[SessionView], list[CashReportView]]) -> None:
        live, recent, flagged = data
        self.sessions_model.set_rows(recent)
        self.ctr_model.set_rows(flagged)
        self.show_session(live[0] if live else None)

    def show_session(self, s: SessionView | None) -> None:
        self.session = s
        if s is None:
            self.title.setText("No drawer is open at this desk. Count the opening float and open a drawer before "
                               "taking or paying cash.")
            self.session_page.hide()
            self.open_page.show()
            return
        loc, c = self.locale, s.currency
        self.open_page.hide()
        self.session_page.show()
        self.title.setText(f"Drawer {s.drawer} ({c}) is {'open' if s.status == 'open' else 'counted, not yet closed'}.")
        self.session_label.setText(f"Session {s.id}, opened {_when(s.opened_at)} by {s.teller} with a float of "
                                   f"{show(s.opening_float, c, loc)}.  Drawer GL account {s.account}.")
        if s.status == "open" and s.cash is None:  # a teller's count is blind (core leaves the figure out)
            self.expected_label.setText("Cash expected in the drawer: shown after your blind count at close.")
        elif s.status == "open":
            self.expected_label.setText(f"Cash expected in the drawer: {show(s.cash, c, loc)}")
        else:
            self.expected_label.setText("Counted blind; close it to post the difference.")
        self.vault_form.setEnabled(s.status == "open")
        self.close_button.setText("&Close drawer (blind count)…" if s.status == "open" else "&Close drawer…")

    def _say(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setProperty("state", "ok" if ok else "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.show()

    # -- actions ---------------------------------------------------------------------------------
    def _currency_changed(self) -> None:
        text = self.currency_edit.text().strip()
        try:
            code = money.currency(text)
        except QenexError:
            return
        if self.float_grid.set_currency(code):
            for edit in self.float_grid.edits.values():
                edit.returnPressed.connect(self.open_drawer)
            self.open_form.captions["counts"].setBuddy(self.float_grid.first())

    def open_drawer(self) -> None:
        form = self.open_form
        form.clear()
        self.status.hide()
        bad = False  # every field's error at once (QA #13), each under its field, the bad count rows marked
        code = None
        try:
            code = money.currency(self.currency_edit.text())
        except QenexError as err:
            form.set_error("currency", "enter the currency, e.g. USD" if not self.currency_edit.text().strip()
                           else console_words(err))
            bad = True
        try:
            check_name(self.name_edit.text())
        except QenexError as err:
            form.set_error("drawer", "enter the drawer's name, e.g. D1" if not self.name_edit.text().strip()
                           else console_words(err))
            bad = True
        switched = code is not None and code != self.float_grid.currency
        if switched:  # the grid now lists that currency's notes and coins: count them
            self._currency_changed()
            form.set_error("counts", f"count the float in {code} notes and coins")
            bad = True
        counts = None if switched else self.float_grid.counts()
        if counts is not None and not counts and not bad:
            form.set_error("counts", "count the opening float: type the pieces of each note and coin")
            bad = True
        if bad or counts is None or code is None:  # the button stays in view to try again
            self._keep_visible(self.open_button)
            return
        drawers, actor, name = self.services.drawers, self.actor, self.name_edit.text()
        total = show(dn.total(counts), code, self.locale)
        pieces = ", ".join(f"{n} × {dn.label(d, code)}" for d, n in sorted(counts.items(), reverse=True) if n)

        def go() -> None:
            self.open_button.setEnabled(False)
            Op(self, lambda _t: drawers.open(actor, name, code, counts)).success(self._opened).failure(
                self._open_failed).run_in_background()

        # the float moves from the vault into the drawer: confirmed like every money movement (QA #14)
        self.confirm_dialog = ConfirmDialog(
            self, "Open drawer", [("Drawer", f"{name.strip().upper()} ({code})"), ("Opening float", total),
                                  ("Counted", pieces)],
            f"{total} moves from the vault into the drawer.", go, confirm_text="&Open drawer")
        self.confirm_dialog.open()

    def _to_top(self) -> None:
        """Scroll the tab back to its top (its content just changed height) and start at the vault amount."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.verticalScrollBar().setValue(0)

    def _keep_visible(self, widget: QWidget) -> None:
        """Scroll the tab so ``widget`` (e.g. the Open button below the grid's messages) is in view."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:  # once the messages have their height (the next turn of the event loop)
            QTimer.singleShot(0, lambda: parent.ensureWidgetVisible(widget, 0, 24))

    def _opened(self, s: SessionView) -> None:
        self.open_button.setEnabled(True)
        self.float_grid.clear()
        self._to_top()
        self.vault_amount.setFocus()
        self.status.hide()  # the title says it is open and the session line gives the float: said once (QA #17)
        self.changed.emit()
        self.refresh()

    def _open_failed(self, err: Exception) -> None:
        self.open_button.setEnabled(True)
        field = str(getattr(err, "details", {}).get("field", "")) if isinstance(err, QenexError) else ""
        code = getattr(err, "code", "")
        key = field if field in self.open_form.fields else ("counts" if code == "invalid_count" else
                                                            "drawer" if code == "drawer_busy" else None)
        self.open_form.show_failure(err, key)

    def vault(self, to_drawer: bool) -> None:
        self.vault_form.clear()
        s = self.session
        if s is None:
            return
        try:
            amount = parse_amount(self.vault_amount.text(), s.currency, self.locale)
        except QenexError as err:
            self.vault_form.set_error("amount", console_words(err))
            return
        self._vault_id = self._vault_id or uuid.uuid4().hex
        drawers, actor, tid = self.services.drawers, self.actor, self._vault_id

        def go() -> None:
            Op(self, lambda _t: drawers.vault_transfer(actor, s.id, amount, to_drawer=to_drawer, id=tid)).success(
                lambda r: self._moved(r, to_drawer)).failure(
                lambda err: self.vault_form.show_failure(err, "amount" if getattr(err, "code", "") in (
                    "insufficient_funds", "invalid_amount", "too_many_decimals", "amount_too_large") else None)
            ).run_in_background()

        money_text = show(amount, s.currency, self.locale)
        where = (f"from the vault into drawer {s.drawer}" if to_drawer else f"from drawer {s.drawer} to the vault")
        self.confirm_dialog = ConfirmDialog(self, "Move cash", [("Amount", money_text), ("From → to", where)],
                                            f"Move {money_text} {where}.", go, confirm_text="&Move cash")
        self.confirm_dialog.open()

    def _moved(self, result, to_drawer: bool) -> None:  # noqa: ANN001
        self._vault_id = None
        self.vault_amount.clear()
        self.vault_form.set_status(f"Moved {show(result.amount, result.currency, self.locale)} "
                                   f"{'from the vault into the drawer' if to_drawer else 'to the vault'}.", ok=True)
        self.changed.emit()
        self.refresh()

    def close_dialog(self) -> CloseDrawerDialog | None:
        if self.session is None:
            return None
        self.dialog = CloseDrawerDialog(self.services, self.actor, self.session, self.locale, self)
        self.dialog.closed.connect(self._closed)
        self.dialog.rejected.connect(self.refresh)  # a count may be in even if the drawer was not closed
        self.dialog.open()
        return self.dialog

    def _closed(self, s: SessionView) -> None:
        c, loc = s.currency, self.locale
        diff = s.difference or 0
        posted = "" if diff == 0 else " posted to cash over/short"
        self._to_top()
        self._say(f"Drawer {s.drawer} closed: {difference_text(diff, c, loc)}{posted}; "
                  f"{show(s.counted or 0, c, loc)} returned to the vault. Save the report below.", ok=True)
        self.changed.emit()
        self.refresh()

    def save_report(self, path: Path | None = None) -> None:
        rows = self.sessions_table.selectionModel().selectedRows()
        s = self.sessions_model.row_object(rows[0].row()) if rows else self.sessions_model.row_object(0)
        if s is None:
            self._say("No drawer session yet: open a drawer first.", ok=False)
            return
        if path is None:
            name = save_file_name(self, "Save drawer report", f"drawer-{s.drawer}-{s.id}.pdf", "PDF (*.pdf)")
            if not name:
                return
            path = Path(name)
        drawers, actor = self.services.drawers, self.actor
        Op(self, lambda _t: drawers.report(actor, s.id).save(path)).success(
            lambda p: self._say(f"Saved the report of session {s.id} to {p}.", ok=True)).failure(
            lambda err: self._say(console_words(err), ok=False)
        ).run_in_background()
