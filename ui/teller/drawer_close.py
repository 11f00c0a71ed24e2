"""Closing a drawer blind: the teller counts every note and coin first; only then the dialog shows the
expected cash and the difference. A difference above the limit needs a note and a supervisor's sign-off: the
supervisor types their own password (and one-time code) in a small dialog (ui.teller.signoff)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core import reasons
from core.drawers.records import CountResult, SessionView
from core.errors import QenexError
from core.security.roles import Actor
from ui.errors import confirm, console_words
from ui.forms import InlineForm
from ui.required import hint_label, reason_missing, require
from ui.teller.amounts import show
from ui.teller.count_grid import CountGrid
from ui.teller.signoff import SignOffDialog


def difference_text(diff: int, currency: str, locale: str) -> str:
    if diff == 0:
        return "none: the drawer balances"
    return f"{'over' if diff > 0 else 'short'} {show(abs(diff), currency, locale)}"


class CloseDrawerDialog(QDialog):
    closed = Signal(object)  # the closed SessionView

    def __init__(self, services: Services, actor: Actor, session: SessionView, locale: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor, self.session, self.locale = services, actor, session, locale
        self.setWindowTitle(f"Close drawer {session.drawer} ({session.currency})")
        self.setObjectName("closeDrawer")
        self.setMinimumWidth(460)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.addWidget(QLabel(f"Close drawer {session.drawer} ({session.currency})", objectName="pageTitle"))
        # step 1: the blind count
        self.count_box = QWidget()
        box = QVBoxLayout(self.count_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("Count every note and coin in the drawer. The expected figure shows after the count "
                             "is in, and a count is final.", wordWrap=True, objectName="muted"))
        self.grid = CountGrid(locale)
        self.grid.set_currency(session.currency)
        box.addWidget(self.grid)
        self.count_button = QPushButton("Submit &count", objectName="primary", default=True)
        self.count_button.clicked.connect(self.submit_count)
        for edit in self.grid.edits.values():
            edit.returnPressed.connect(self.submit_count)
        box.addWidget(self.count_button)
        root.addWidget(self.count_box)
        # step 2: the figures, and the supervisor's note when needed
        self.result_box = QWidget()
        rbox = QVBoxLayout(self.result_box)
        rbox.setContentsMargins(0, 0, 0, 0)
        self.figures = QLabel(wordWrap=True, objectName="confirmValue")
        rbox.addWidget(self.figures)
        self.note_hint = QLabel(wordWrap=True, objectName="formStatus")
        self.note_hint.setProperty("state", "error")
        rbox.addWidget(self.note_hint)
        self.form = InlineForm()
        # short enough to show whole (QA3 #6); the rule in full on hover, and core's refusal says it too
        self.note = QLineEdit(placeholderText="why it is over or short", maxLength=500)
        self.note.setToolTip(f"Why the drawer is over or short ({reasons.RULE})")
        self.form.add_field("note", "&Note", self.note)
        self.signoff: SignOffDialog | None = None
        self.close_button = QPushButton("C&lose drawer", objectName="primary")
        self.close_button.clicked.connect(self.submit_close)
        row = QWidget()
        rb = QHBoxLayout(row)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(self.close_button)
        rb.addStretch(1)
        self.form.finish(row)
        rbox.addWidget(self.form)
        self.reason_hint = hint_label()  # what the note still needs: Sign and close stays off until it passes
        rbox.addWidget(self.reason_hint)
        root.addWidget(self.result_box)
        cancel = QPushButton("Cancel", autoDefault=False)  # Enter presses the step's own button, never Cancel
        cancel.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(cancel)
        root.addLayout(bottom)
        self.result: CountResult | None = None
        self.gate = require(self.close_button, self._missing, self.reason_hint, self.note)
        if session.status == "counted":  # counted earlier (the dialog was closed before the drawer)
            limit = services.drawers.limits.variance_limit(session.currency)
            diff = session.difference or 0
            self._show_result(CountResult(session, session.counted or 0, session.expected or 0, diff, limit,
                                          abs(diff) > limit))
        else:
            self.result_box.hide()
            first = self.grid.first()
            if first is not None:
                first.setFocus()

    def _missing(self) -> str:
        """The note a difference above the limit needs, by core's rule (core.reasons); "" otherwise."""
        if self.result is None or not self.result.needs_note:
            return ""
        return reason_missing(self.note.text(), "why the drawer is over or short in the note")

    def submit_count(self) -> None:
        counts = self.grid.counts()
        if counts is None:  # every bad row is marked; the dialog grows to show the messages and the button
            self.adjustSize()
            return
        c = self.session.currency
        # a count is final: asked first, with the total, No the default (QA4 #8)
        self.confirm_box = confirm(self, "Submit count", f"Submit {show(self.grid.total(), c, self.locale)} as the "
                                   f"count of drawer {self.session.drawer}?\n\nA count is final: it cannot be "
                                   "changed once submitted, and the expected figure shows only after it.",
                                   lambda: self._send_count(counts))

    def _send_count(self, counts: dict[int, int]) -> None:
        self.count_button.setEnabled(False)
        drawers, actor, sid = self.services.drawers, self.actor, self.session.id
        Op(self, lambda _t: drawers.count(actor, sid, counts)).success(self._show_result).failure(
            self._count_failed).run_in_background()

    def _count_failed(self, err: Exception) -> None:
        self.count_button.setEnabled(True)
        self.grid.set_error(console_words(err))

    def _show_result(self, result: CountResult) -> None:
        self.result = result
        self.session = result.session
        c, loc = self.session.currency, self.locale
        self.count_box.hide()
        self.result_box.show()
        self.figures.setText(f"Counted {show(result.counted, c, loc)}; expected {show(result.expected, c, loc)}; "
                             f"difference {difference_text(result.difference, c, loc)}.")
        needs = result.needs_note
        self.note_hint.setVisible(needs)
        self.note_hint.setText(f"The difference is above the {show(result.limit, c, loc)} a teller may close "
                               "alone: write why in the note, then a supervisor signs it with their own password.")
        self.form.layout_.setRowVisible(self.form.fields["note"].parentWidget(), needs)
        self.close_button.setText("&Sign and close drawer…" if needs else "C&lose drawer")
        self.close_button.setDefault(True)
        self.gate.update()
        (self.note if needs else self.close_button).setFocus()
        self.adjustSize()

    def submit_close(self) -> None:
        self.form.clear()
        needs = self.result is not None and self.result.needs_note
        note = self.note.text().strip() if needs else ""
        drawers, actor, sid = self.services.drawers, self.actor, self.session.id
        if needs:
            try:  # core's one rule for a decision's note (core.reasons; core checks it again)
                note = reasons.check(note, "the note (why the drawer is over or short)", field="note")
            except QenexError as err:
                self.form.set_error("note", console_words(err))
                self.note.setFocus()
                return
            what = f"Drawer {self.session.drawer}: {self.figures.text()}"
            self.signoff = SignOffDialog(self, what, lambda name, password, code: drawers.close(
                actor, sid, supervisor=name, password=password, code=code, note=note))
            self.signoff.signed.connect(self._closed)
            self.signoff.open()
            return
        self.close_button.setEnabled(False)
        Op(self, lambda _t: drawers.close(actor, sid)).success(
            self._closed).failure(self._close_failed).run_in_background()

    def _close_failed(self, err: Exception) -> None:
        self.gate.update()
        key = str(getattr(err, "details", {}).get("field", "")) or None
        self.form.show_failure(err, key if key in self.form.fields and not self.form.fields[key].isHidden() else None)

    def _closed(self, session: SessionView) -> None:
        self.closed.emit(session)
        self.accept()
