"""Dialogs that stay open until core accepts what was typed.

A dialog's OK first runs its own quick checks (a note typed, a title given), then hands the values to core
on a worker thread (``send``: the UI thread never touches the database). The dialog stays open meanwhile,
its OK disabled; the worker's answer comes back through the task's signals: if core accepts, the dialog
closes and ``done(result)`` runs; if core refuses, the dialog stays open with core's message in its error
line and everything typed is kept, so the user corrects it instead of typing it again.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget,
)

from app.tasks import Op
from core.errors import QenexError
from ui.keys import submit_on_ctrl_enter
from ui.layout import keep_fitted
from ui.required import hint_label, require
from ui.errors import console_words


class Sender:
    """What a dialog sends to core and what runs once core accepted. ``send(*values)`` runs on a worker."""

    def __init__(self, send: Callable[..., Any], done: Callable[[Any], None] | None = None) -> None:
        self.send, self.done = send, done


def refusal_text(err: Exception) -> str:
    if isinstance(err, QenexError):
        return console_words(err)
    return f"Not done: {type(err).__name__}: {err}. Nothing was changed; try again."


def send(dialog: QDialog, sender: Sender | None, values: tuple, error: QLabel, ok: QWidget | None = None,
         focus: QWidget | None = None) -> None:
    """Send ``values`` through ``sender`` on a worker; close ``dialog`` only when core accepts.

    Without a sender the dialog just accepts (its caller reads the values)."""
    if sender is None:
        dialog.accept()
        return
    if ok is not None:
        ok.setEnabled(False)
    error.setText("")
    dialog.setProperty("sending", True)

    def accepted(result: Any) -> None:
        dialog.setProperty("sending", False)
        dialog.accept()
        if sender.done is not None:
            sender.done(result)

    def refused(err: Exception) -> None:
        dialog.setProperty("sending", False)
        if ok is not None:
            ok.setEnabled(True)
        gate = getattr(dialog, "required_gate", None)
        if gate is not None:
            gate.update()  # the button comes back only if what is required is still there
        error.setText(refusal_text(err))
        if focus is not None:
            focus.setFocus()

    Op(dialog, lambda _task: sender.send(*values)).success(accepted).failure(refused).run_in_background()


def finish(dialog: QDialog, root: QVBoxLayout, submit) -> QLabel:  # noqa: ANN001
    """Add the inline error line and OK/Cancel (OK runs ``submit``, as Ctrl+Enter in any of the dialog's notes);
    the OK button is ``dialog.ok_button``. The dialog grows to what it shows (an error line included)."""
    error = QLabel("", objectName="fieldError", wordWrap=True)
    root.addWidget(error)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(submit)
    box.rejected.connect(dialog.reject)
    root.addWidget(box)
    dialog.ok_button = box.button(QDialogButtonBox.StandardButton.Ok)
    for note in dialog.findChildren(QPlainTextEdit):  # Ctrl+Enter in a note is OK; Enter stays a new line
        submit_on_ctrl_enter(note, submit)
    keep_fitted(dialog)
    return error


class NoteEdit(QPlainTextEdit):
    def __init__(self, placeholder: str) -> None:
        super().__init__(placeholderText=placeholder)
        self.setTabChangesFocus(True)
        self.setFixedHeight(70)


class TextDialog(QDialog):
    """Ask for one text (a note, a reason, a title) and send it to core; stays open on a refusal.

    ``line``: a one-line field (a title) instead of a note box; ``required``: OK stays off while it is empty,
    and a line under the field says so (``ui.required``); ``rule``: the sentence saying what the text still
    needs ("" when it passes; e.g. ``ui.required.reason_missing`` for a decision's reason core checks)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, *, sender: Sender | None = None,
                 line: bool = False, required: bool = True, placeholder: str = "Required",
                 rule: Callable[[str], str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.sender_, self.required = sender, required
        root = QVBoxLayout(self)
        label = QLabel(prompt, wordWrap=True)
        root.addWidget(label)
        self.edit: QLineEdit | NoteEdit = QLineEdit(placeholderText=placeholder) if line else NoteEdit(placeholder)
        label.setBuddy(self.edit)
        root.addWidget(self.edit)
        self.hint = hint_label()
        root.addWidget(self.hint)
        self.rule = rule or ((lambda t: "" if t else "Required: type it, then OK.") if required else None)
        self.error = finish(self, root, self._submit)
        if self.rule is not None:
            require(self.ok_button, lambda: self.rule(self.text()), self.hint, self.edit)
        self.resize(520, self.sizeHint().height())

    def text(self) -> str:
        edit = self.edit
        return (edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()).strip()

    def _submit(self) -> None:
        missing = self.rule(self.text()) if self.rule is not None else ""
        if missing:
            self.error.setText(missing)
            self.edit.setFocus()
            return
        send(self, self.sender_, (self.text(),), self.error, self.ok_button, self.edit)

