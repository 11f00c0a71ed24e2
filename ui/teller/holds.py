"""The holds tab: active holds on the selected account (amount, reason, who placed them, expiry); tellers
place a hold with a reason code and an end date, supervisors release one (with a note)."""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea, QVBoxLayout,
    QWidget,
)

from app.services import Services
from app.tasks import Op
from core import reasons
from core.errors import QenexError
from core.security.roles import Actor, Permission
from core.teller.holds import MAX_HOLD_DAYS, REASONS, HoldView
from ui.columns import Column
from ui.errors import confirm, console_words
from ui.forms import InlineForm, enter_submits
from ui.layout import table_view
from ui.required import reason_missing
from ui.rows_model import RowsModel
from ui.send_dialog import Sender, TextDialog
from ui.teller.amounts import hint, parse_amount, show
from ui.teller.confirm import ConfirmDialog
from ui.teller.decisions import DecisionWatch, told


def _when(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


class HoldsPanel(QWidget):
    holds_changed = Signal()  # a hold was placed or released: the page reloads the account

    def __init__(self, services: Services, actor: Actor, locale: str) -> None:
        super().__init__()
        self.services, self.actor, self.locale = services, actor, locale
        self.account: str | None = None
        self.currency = "USD"
        self._hold_id: str | None = None
        self._gl_refused = False
        self.model = RowsModel(self._columns(), self)
        self.table = table_view()
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        # each column as wide as what it shows, the Reason takes the rest ("tom, 2026-11-30 15…" was cut, QA3 #6)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 3
                                    + self.table.horizontalHeader().sizeHint().height() + 4)  # three rows at least

        self.form = InlineForm()
        self.amount = QLineEdit(placeholderText=hint(), maxLength=32)
        self.reason = QComboBox()
        for key, text in REASONS.items():
            self.reason.addItem(text, key)
        self.until = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.note = QLineEdit(placeholderText="why (needed for Other)", maxLength=200)
        self.form.add_field("amount", "&Amount", self.amount)
        self.form.add_field("reason", "Reason &code", self.reason)
        self.form.add_field("expires_at", "&Until (last day)", self.until)
        self.form.add_field("note", "N&ote", self.note)
        self.place_button = QPushButton("P&lace hold…", objectName="primary")
        self.confirm_dialog: ConfirmDialog | None = None
        self.four_eyes = services.approvals is not None  # releases wait for a second person (core.approvals)
        self.decisions = DecisionWatch(self, services, actor)
        self.release_button = QPushButton("Ask to r&elease…" if self.four_eyes else "R&elease selected…")
        if not (actor.can(Permission.HOLD_RELEASE) or (self.four_eyes and actor.can(Permission.APPROVAL_REQUEST))):
            self.release_button.setEnabled(False)
            self.release_button.setToolTip("Releasing a hold needs a supervisor")
        elif self.four_eyes:
            self.release_button.setToolTip("Sends the release to the approvals inbox: a supervisor other than you "
                                           "approves it (four eyes)")
        self._may_release = self.release_button.isEnabled()
        self.place_button.clicked.connect(self.place)
        self.release_button.clicked.connect(self.release_selected)
        # only with a hold selected (QA3 #10); a reloaded list selects nothing
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_release())
        self.model.modelReset.connect(self._update_release)
        self._update_release()
        for edit in (self.amount, self.note):
            edit.returnPressed.connect(self.place)
            edit.textEdited.connect(self._new_request)
        enter_submits(self.place, self.reason, self.until)  # Enter anywhere in the form places (QA2 #28)
        buttons = QWidget()
        box = QHBoxLayout(buttons)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.place_button)
        box.addWidget(self.release_button)
        box.addStretch(1)
        self.form.finish(buttons)
        self.title = QLabel("Select an account to see its holds", objectName="muted")
        # In a scroll area: when the tab is shorter than the list, the form and an error line need, it scrolls
        # instead of squeezing the fields to a few pixels (QA2 #26, seen at the default window size).
        inner = QWidget()
        root = QVBoxLayout(inner)
        root.setContentsMargins(6, 6, 6, 6)
        root.addWidget(self.title)
        root.addWidget(self.table, 1)
        root.addWidget(self.form)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self._reset_until()

    def _columns(self) -> tuple[Column, ...]:
        loc = self.locale
        return (Column("Hold", lambda h: str(h.id), align_right=True),  # the number qenex hold release takes
                Column("Amount", lambda h: show(h.amount, h.currency, loc), align_right=True),
                Column("Reason", lambda h: h.reason_text + (f" — {h.note}" if h.note else "")),
                Column("Placed by", lambda h: f"{h.placed_by}, {_when(h.placed_at)}"),
                Column("Expires", lambda h: _when(h.expires_at)),
                Column("Release", lambda h: f"asked (#{h.release_request})" if h.release_request else ""))

    def _reset_until(self) -> None:
        today = QDate.currentDate()
        self.until.setMinimumDate(today)
        self.until.setMaximumDate(today.addDays(MAX_HOLD_DAYS - 1))
        self.until.setDate(today.addDays(7))

    def _new_request(self) -> None:
        self._hold_id = None

    def show_account(self, number: str | None, currency: str | None, holds: list[HoldView], *,
                     gl_refused: bool = False) -> None:
        """``gl_refused``: ``number`` is one of the bank's own GL accounts and this actor may not move money
        on it (core.ledger.desk_controls): no hold is offered, and the tab says why."""
        changed = number != self.account or gl_refused != self._gl_refused
        self.account, self.currency, self._gl_refused = number, currency or "USD", gl_refused
        self.model.set_rows(holds)
        self.title.setText(f"Active holds on {number}: {len(holds)}" if number else "Select an account to see its holds")
        self.place_button.setEnabled(number is not None and not gl_refused)
        if changed:
            self.form.clear()
            self.form.clear_status()
            self.amount.clear()
            self.note.clear()
            self._reset_until()
            if gl_refused:
                self.form.set_status(f"{number} is one of the bank's own GL accounts: tellers place holds on "
                                     "customer accounts only.", ok=False)

    def holds(self) -> list[HoldView]:
        return [self.model.row_object(i) for i in range(self.model.rowCount())]

    def place(self) -> None:
        form = self.form
        form.clear()
        if self.account is None:
            return
        try:
            amount = parse_amount(self.amount.text(), self.currency, self.locale)
        except QenexError as err:
            form.set_error("amount", console_words(err))
            return
        day = self.until.date()
        last = datetime.combine(datetime(day.year(), day.month(), day.day()).date() + timedelta(days=1), time(0))
        expires = last.astimezone()  # the hold ends at the end of its last day, local time
        reason, note = self.reason.currentData(), self.note.text()
        self._hold_id = self._hold_id or f"hold-{uuid.uuid4().hex}"
        teller, actor, number, hold_id = self.services.teller, self.actor, self.account, self._hold_id
        rows = [("Account", number), ("Amount", show(amount, self.currency, self.locale)),
                ("Reason", self.reason.currentText() + (f" — {note.strip()}" if note.strip() else "")),
                ("Until", f"the end of {day.toString('yyyy-MM-dd')}")]

        def go() -> None:
            self.place_button.setEnabled(False)
            Op(self, lambda _t: teller.place_hold(actor, number, amount, reason, expires, note, hold_id)).success(
                self._placed).failure(self._refused).run_in_background()

        # a hold moves money out of the available balance: confirmed like every money movement (QA #14)
        self.confirm_dialog = ConfirmDialog(self, "Place hold", rows, f"{show(amount, self.currency, self.locale)} "
                                            "of the available balance is blocked until then.", go,
                                            confirm_text="P&lace hold")
        self.confirm_dialog.open()

    def _placed(self, hold: HoldView) -> None:
        self.place_button.setEnabled(not self._gl_refused)
        self._hold_id = None
        self.amount.clear()
        self.note.clear()
        self.form.set_status(f"Placed hold {hold.id} of {show(hold.amount, hold.currency, self.locale)} until "
                             f"{_when(hold.expires_at)}.", ok=True)
        self.holds_changed.emit()

    def _refused(self, err: Exception) -> None:
        self.place_button.setEnabled(not self._gl_refused)
        if isinstance(err, QenexError):
            self._hold_id = None
        key = getattr(err, "field", None) or ("amount" if getattr(err, "code", "") == "insufficient_funds" else None)
        self.form.show_failure(err, key if key in self.form.fields else None)

    def _update_release(self) -> None:
        self.release_button.setEnabled(self._may_release and bool(self.table.selectionModel().selectedRows()))

    def release_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        hold = self.model.row_object(rows[0].row()) if rows else None
        if hold is None:
            self.form.set_status("Select the hold to release in the list.", ok=False)
            return
        self.release_dialog = self._release_dialog(hold)
        self.release_dialog.open()

    def _release_dialog(self, hold: HoldView) -> TextDialog:
        """The note is asked for in a dialog that stays open until core accepts the release (or the request)."""
        teller, actor, amount = self.services.teller, self.actor, show(hold.amount, hold.currency, self.locale)
        if self.four_eyes:
            approvals = self.services.approvals
            sender = Sender(lambda note: approvals.request_hold_release(actor, hold.id, note), lambda r: (
                self._asked(r.id, amount), self.holds_changed.emit()))  # the hold's row shows the release is asked
        else:
            sender = Sender(lambda note: teller.release_hold(actor, hold.id, note), lambda h: (
                self.form.set_status(f"Released the hold of {show(h.amount, h.currency, self.locale)}.", ok=True),
                self.holds_changed.emit()))
        return TextDialog("Release hold", f"&Why is the hold of {amount} released? ({reasons.RULE}; the supervisor "
                          "reads it)", self, sender=sender, line=True, required=True,
                          rule=lambda t: reason_missing(t, "why the hold is released"),
                          placeholder="e.g. the customer showed the cheque cleared")

    def _asked(self, request_id: int, amount: str) -> None:
        """The release waits for a supervisor; the line changes when they decide (live, or F5)."""
        self.form.set_status(f"Release of the {amount} hold is waiting for approval (request #{request_id}); a "
                             "supervisor other than you decides in Approvals.", ok=True)

        def decided(view) -> None:  # noqa: ANN001
            words, tone = told(view, f"the release of the {amount} hold", f"the {amount} hold is released",
                               "the hold was not released", undone="the hold stays in place")
            if words:
                self.form.set_status(words, ok=tone != "error", warning=tone == "warning")
                self.holds_changed.emit()

        self.decisions.watch(request_id, decided)

    def release(self, hold: HoldView, note: str) -> None:
        teller, actor = self.services.teller, self.actor
        if self.four_eyes:
            approvals = self.services.approvals
            Op(self, lambda _t: approvals.request_hold_release(actor, hold.id, note or "")).success(
                lambda r: self._asked(r.id, show(hold.amount, hold.currency, self.locale))).failure(
                lambda err: self.form.show_failure(err, None)).run_in_background()
            return

        def go() -> None:
            Op(self, lambda _t: teller.release_hold(actor, hold.id, note)).success(
                lambda h: (self.form.set_status(f"Released the hold of {show(h.amount, h.currency, self.locale)}.",
                                                ok=True), self.holds_changed.emit())).failure(
                lambda err: self.form.show_failure(err, None)).run_in_background()

        if note is None:
            confirm(self, "Release hold", "Release this hold?", go)
        else:
            go()
