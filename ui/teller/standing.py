"""The Standing tab: the selected account's standing instructions (next due date, last run, failures),
the run history of the one selected (failures with their reason), adding one (a dialog, then a
confirmation) and cancelling one. The scheduled job runs them on the worker; "Run due now" runs the same job at once."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger import numbers
from core.ledger.errors import AccountNotFound
from core.security.roles import Actor, Permission
from core.teller.standing import InstructionView, RunView
from ui.columns import Column
from ui.forms import InlineForm
from ui.layout import table_view
from ui.rows_model import RowsModel
from ui.teller.amounts import hint, parse_amount, show
from ui.teller.confirm import ConfirmDialog
from core.words import counted
from ui.errors import console_text, console_words


def _day(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


class StandingPanel(QWidget):
    changed = Signal()

    def __init__(self, services: Services, actor: Actor, locale: str) -> None:
        super().__init__()
        self.services, self.actor, self.locale = services, actor, locale
        self.account: str | None = None
        self.currency = "USD"
        self.dialog: AddStandingDialog | None = None
        self.confirm: ConfirmDialog | None = None
        self.title = QLabel("Select an account to see its standing instructions", objectName="muted")
        self.model = RowsModel(self._columns(), self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setMinimumHeight(110)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.load_runs())
        # "Cancel selected" only with an active instruction selected (QA3 #10); a reset list selects nothing
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_cancel())
        self.model.modelReset.connect(self._update_cancel)
        self.runs_model = RowsModel(self._run_columns(), self)
        self.runs_table = table_view()
        self.runs_table.setModel(self.runs_model)
        self.runs_table.setMinimumHeight(90)
        self.runs_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.runs_title = QLabel("Run history: select an instruction", objectName="muted")

        self.add_button = QPushButton("Ne&w standing instruction…", objectName="primary")
        self.cancel_button = QPushButton("Cance&l selected")
        self.run_button = QPushButton("&Run due now")
        self.add_button.clicked.connect(self.add_dialog)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.run_button.clicked.connect(self.run_due)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.cancel_button, self.run_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.status = QLabel(objectName="formStatus", wordWrap=True)
        self.status.hide()
        allowed = actor.can(Permission.TRANSFER_POST)
        self.add_button.setEnabled(allowed)
        self._update_cancel()
        self.run_button.setEnabled(actor.can(Permission.STANDING_RUN))  # core refuses others too
        if not actor.can(Permission.STANDING_RUN):
            self.run_button.setToolTip("Due instructions run on their own every few minutes; running them now "
                                       "needs a supervisor")
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.addWidget(self.title)
        root.addWidget(self.table, 3)
        root.addWidget(self.runs_title)
        root.addWidget(self.runs_table, 1)
        root.addLayout(buttons)
        root.addWidget(self.status)

    def _columns(self) -> tuple[Column, ...]:
        loc = self.locale

        def next_due(v: InstructionView) -> str:
            if v.status != "active":
                return v.status
            return str(v.next_due) if v.next_due else "ended"

        return (Column("#", lambda v: str(v.id), align_right=True),
                Column("Pays", lambda v: f"{v.credit} {v.credit_name}" + (f" · {v.description}" if v.description
                                                                           else "")),
                Column("Amount", lambda v: show(v.amount, v.currency, loc), align_right=True),
                Column("Every", lambda v: v.frequency),
                Column("Next due", next_due),
                Column("Last run", lambda v: f"{v.last_run.due_date} {v.last_run.state}" if v.last_run else "not yet"),
                Column("Fails", lambda v: str(v.failures), align_right=True))

    def _run_columns(self) -> tuple[Column, ...]:
        return (Column("Due date", lambda r: str(r.due_date)), Column("Result", lambda r: r.state),
                Column("Ran at", lambda r: r.ran_at.astimezone().strftime("%Y-%m-%d %H:%M")),
                Column("Transfer / reason",
                       lambda r: console_text(r.message or "") if r.state == "failed" else r.transfer_id))

    # -- loading -------------------------------------------------------------------------------
    def say(self, text: str, *, ok: bool, warning: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("state", "warning" if warning else "ok" if ok else "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.show()

    def show_account(self, number: str | None, currency: str | None, *, gl: bool = False) -> None:
        """``gl``: one of the bank's own accounts, on which no standing instruction runs (core refuses it
        too): nothing to add, and the tab says why."""
        if number != self.account:
            self.status.hide()
        self.account, self.currency = number, currency or "USD"
        self.add_button.setEnabled(number is not None and not gl and self.actor.can(Permission.TRANSFER_POST))
        self.add_button.setToolTip("Standing instructions move money between customer accounts" if gl else "")
        if gl:
            self.say(f"{number} is one of the bank's own GL accounts: standing instructions run between customer "
                     "accounts only.", ok=False)
        self.reload()

    def reload(self) -> None:
        if self.account is None:
            self.model.set_rows([])
            self.runs_model.set_rows([])
            self.title.setText("Select an account to see its standing instructions")
            return
        standing, actor, number = self.services.standing, self.actor, self.account
        Op(self, lambda _t: standing.list(actor, account=number)).success(
            lambda rows: self._loaded(number, rows)).failure(
            lambda err: self._failed(err)).run_in_background()

    def _loaded(self, number: str, rows: list[InstructionView]) -> None:
        if number != self.account:
            return
        self.model.set_rows(rows)
        failing = [f"#{v.id}" for v in rows if v.last_run is not None and v.last_run.state == "failed"]
        self.title.setText(f"{counted(len(rows), 'standing instruction')} paying from or into {number}"
                           if rows else f"No standing instructions pay from or into {number}")
        if failing:
            self.title.setText(self.title.text() + f" · last run failed: {', '.join(failing)}")
        if rows:
            self.table.selectRow(0)
        else:
            self.runs_model.set_rows([])

    def _update_cancel(self) -> None:
        v = self.selected()
        self.cancel_button.setEnabled(self.actor.can(Permission.TRANSFER_POST) and v is not None
                                      and v.status == "active")
        self.cancel_button.setToolTip("Select an active instruction in the list to cancel it" if v is None or
                                      v.status != "active" else f"Cancel standing instruction #{v.id}")

    def selected(self) -> InstructionView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def load_runs(self) -> None:
        v = self.selected()
        if v is None:
            self.runs_model.set_rows([])
            self.runs_title.setText("Run history: select an instruction")
            return
        standing, actor = self.services.standing, self.actor
        Op(self, lambda _t: standing.runs(actor, v.id)).success(lambda runs: self._runs_loaded(v, runs)).failure(
            lambda err: self._failed(err)).run_in_background()

    def _runs_loaded(self, v: InstructionView, runs: list[RunView]) -> None:
        self.runs_model.set_rows(runs)
        failed = sum(r.state == "failed" for r in runs)
        self.runs_title.setText(f"Run history of #{v.id}: {counted(len(runs), 'run')}"
                                + (f", {failed} failed" if failed else ""))

    def runs(self) -> list[RunView]:
        return [self.runs_model.row_object(i) for i in range(self.runs_model.rowCount())]

    # -- actions ---------------------------------------------------------------------------------
    def add_dialog(self) -> "AddStandingDialog | None":
        if self.account is None:
            return None
        self.status.hide()  # the last result is about an earlier step
        self.dialog = AddStandingDialog(self.services, self.actor, self.account, self.currency, self.locale, self)
        self.dialog.added.connect(self._added)
        self.dialog.open()
        return self.dialog

    def _added(self, v: InstructionView) -> None:
        self.say(f"Added standing instruction #{v.id}: {show(v.amount, v.currency, self.locale)} {v.frequency} to "
                 f"{v.credit}, first due {v.next_due}." + (f" Warning: {v.warning}." if v.warning else ""),
                 ok=True, warning=bool(v.warning))
        self.changed.emit()
        self.reload()

    def _failed(self, err: Exception) -> None:
        self.say(console_words(err), ok=False)

    def cancel_selected(self) -> ConfirmDialog | None:
        """Ask first (what stops, from when); Confirm cancels, Escape keeps it."""
        v = self.selected()
        if v is None:
            self.say("Select the instruction to cancel in the list.", ok=False)
            return None
        if v.status != "active":
            self.say(f"Standing instruction #{v.id} is {v.status}: nothing to cancel.", ok=False)
            return None
        self.status.hide()
        rows = [("Instruction", f"#{v.id}"), ("Pays", f"{v.credit} {v.credit_name}"),
                ("Amount", f"{show(v.amount, v.currency, self.locale)} {v.frequency}"),
                ("Next due", str(v.next_due) if v.next_due else "none")]
        self.confirm = ConfirmDialog(self.window(), "Cancel standing instruction", rows,
                                     "It stops at once: no further run posts. This cannot be undone (a new "
                                     "instruction would be needed).", lambda: self._cancel(v),
                                     confirm_text="Cancel &instruction")
        self.confirm.cancel_button.setText("&Keep it")  # not a second "Cancel" beside "Cancel instruction"
        self.confirm.open()
        return self.confirm

    def _cancel(self, v: InstructionView) -> None:
        standing, actor = self.services.standing, self.actor
        Op(self, lambda _t: standing.cancel(actor, v.id)).success(
            lambda c: (self.say(f"Standing instruction #{c.id} cancelled.", ok=True), self.reload())
        ).failure(lambda err: self._failed(err)).run_in_background()

    def run_due(self) -> None:
        """Run the scheduled job now (a supervisor; core checks ``standing.run`` and posts as the system)."""
        standing, actor = self.services.standing, self.actor
        self.status.hide()
        self.run_button.setEnabled(False)
        Op(self, lambda _t: standing.run_due(actor)).success(self._ran).failure(
            lambda err: (self.run_button.setEnabled(True), self._failed(err))).run_in_background()

    def _ran(self, runs: list[RunView]) -> None:
        self.run_button.setEnabled(self.actor.can(Permission.STANDING_RUN))
        failed = sum(r.state == "failed" for r in runs)
        text = "Nothing was due." if not runs else f"Ran {counted(len(runs), 'due date')}: " \
            f"{len(runs) - failed} posted" + (
            f", {failed} failed (see the run history)" if failed else "") + "."
        self.say(text, ok=not failed)
        self.changed.emit()
        self.reload()


class AddStandingDialog(QDialog):
    """A new standing instruction from ``account``: local checks inline, then a confirmation of exactly what
    will run; core's refusals come back inline under their field (the dialog stays open)."""

    added = Signal(object)  # InstructionView

    def __init__(self, services: Services, actor: Actor, account: str, currency: str, locale: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor, self.account, self.currency, self.locale = services, actor, account, currency, locale
        self.confirm: ConfirmDialog | None = None
        self.setWindowTitle("New standing instruction")
        self.setMinimumWidth(480)
        self.form = InlineForm()
        self.to_edit = QLineEdit(placeholderText="the account paid (number)", maxLength=24)
        self.amount = QLineEdit(placeholderText=hint(currency), maxLength=32)
        self.frequency = QComboBox()
        self.frequency.addItem("Monthly", "monthly")
        self.frequency.addItem("Weekly", "weekly")
        today = QDate.currentDate()
        self.start = QDateEdit(today, calendarPopup=True, displayFormat="yyyy-MM-dd", minimumDate=today)
        self.has_end = QCheckBox("ends on")
        self.until = QDateEdit(today.addYears(1), calendarPopup=True, displayFormat="yyyy-MM-dd", enabled=False,
                               minimumDate=today)
        self.has_end.toggled.connect(self.until.setEnabled)
        end = QWidget()
        eb = QHBoxLayout(end)
        eb.setContentsMargins(0, 0, 0, 0)
        eb.addWidget(self.has_end)
        eb.addWidget(self.until, 1)
        self.description = QLineEdit(placeholderText="e.g. rent", maxLength=140)
        self.form.add_field("from", "From", QLabel(f"{account} ({currency})"))
        self.form.add_field("to", "Pay &to", self.to_edit)
        self.form.add_field("amount", "A&mount", self.amount)
        self.form.add_field("frequency", "&Every", self.frequency)
        self.form.add_field("valid_from", "&First due date", self.start)
        self.form.add_field("valid_until", "&Last date", end)
        self.form.add_field("description", "&Description", self.description)
        self.review_button = QPushButton("&Review…", objectName="primary", default=True)
        self.review_button.clicked.connect(self.review)
        cancel = QPushButton("Cancel", autoDefault=False)
        cancel.clicked.connect(self.reject)
        row = QWidget()
        rb = QHBoxLayout(row)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(self.review_button)
        rb.addWidget(cancel)
        rb.addStretch(1)
        self.form.finish(row)
        for edit in (self.to_edit, self.amount, self.description):
            edit.returnPressed.connect(self.review)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.addWidget(QLabel("New standing instruction", objectName="pageTitle"))
        root.addWidget(self.form)
        self.to_edit.setFocus()

    def review(self) -> None:
        form = self.form
        form.clear()
        to = amount = None  # every field's error at once, not one per attempt (QA #6)
        try:
            to = numbers.validate(self.to_edit.text())
        except QenexError as err:
            form.set_error("to", "enter the account to pay" if not self.to_edit.text().strip() else console_words(err))
        try:
            amount = parse_amount(self.amount.text(), self.currency, self.locale)
        except QenexError as err:
            form.set_error("amount", console_words(err))
        start = _day(self.start.date())
        until = _day(self.until.date()) if self.has_end.isChecked() else None
        if until is not None and until < start:
            form.set_error("valid_until", f"the last date must be on or after the first due date ({start})")
        if to is None or amount is None or form.field_errors():
            self._look_up(to)  # an unknown payee shows with the other errors, not on the next attempt (QA7 #2)
            return
        frequency, description = self.frequency.currentData(), self.description.text()
        teller, actor, account = self.services.teller, self.actor, self.account
        self.review_button.setEnabled(False)
        standing = self.services.standing
        Op(self, lambda _t: (teller.account(actor, account).account, teller.account(actor, to).account,
                             standing.funding_warning(actor, account, amount))).success(
            lambda found: self._confirm(found, to, amount, frequency, start, until, description)).failure(
            lambda err: (self.review_button.setEnabled(True), self.form.show_failure(err, "to"))).run_in_background()

    def _look_up(self, to: str | None) -> None:
        """Other fields are wrong, so nothing is reviewed: still look the payee up on the worker and mark it if
        there is no such account."""
        if to is None:
            return
        teller, actor = self.services.teller, self.actor

        def work(_task: object) -> QenexError | None:
            try:
                teller.account(actor, to)
            except AccountNotFound as err:
                return err
            except QenexError:
                pass  # not the look-up's to say: the review refuses it the usual way
            return None

        def show_it(err: QenexError | None) -> None:
            try:  # only if the field still holds that account, unmarked
                same = numbers.validate(self.to_edit.text()) == to
            except QenexError:
                same = False
            if err is not None and same and "to" not in self.form.field_errors():
                self.form.set_error("to", console_words(err))

        Op(self, work).success(show_it).failure(lambda _err: None).run_in_background()

    def _confirm(self, found: tuple, to: str, amount: int, frequency: str, start: date, until: date | None,
                 description: str) -> None:
        """The confirmation names both accounts' holders with their numbers (read on the worker)."""
        self.review_button.setEnabled(True)
        payer, payee, warning = found
        rows = [("From", f"{payer.name} ({self.account})"), ("Pay to", f"{payee.name} ({to})"),
                ("Amount", show(amount, self.currency, self.locale)),
                ("Every", f"{'week' if frequency == 'weekly' else 'month'}, first on {start}"),
                ("Until", str(until) if until else "cancelled"), ("Description", description or "-")]
        if warning:  # a warning, not a refusal: money may come in before the first due date
            rows.append(("Warning", warning))
        self.confirm = ConfirmDialog(self, "Confirm standing instruction", rows,
                                     "The scheduled job posts it on each due date, through the fraud screen.",
                                     lambda: self._add(to, amount, frequency, start, until, description),
                                     confirm_text="&Confirm instruction", warning=bool(warning))
        self.confirm.open()

    def _add(self, to: str, amount: int, frequency: str, start: date, until: date | None, description: str) -> None:
        standing, actor, account = self.services.standing, self.actor, self.account
        self.review_button.setEnabled(False)
        Op(self, lambda _t: standing.add(actor, account, to, amount, frequency, start, until, description)).success(
            self._added).failure(self._refused).run_in_background()

    def _added(self, v: InstructionView) -> None:
        self.added.emit(v)
        self.accept()

    def _refused(self, err: Exception) -> None:
        self.review_button.setEnabled(True)
        self.form.show_refusals(err, lambda one: getattr(one, "field", None))  # every wrong field at once
