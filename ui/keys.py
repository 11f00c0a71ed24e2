"""Ctrl+Enter in a note sends it (``submit_on_ctrl_enter``; Enter alone stays a new line).

Alt+letter never types a letter: mnemonics (Alt+underlined letter) move focus, and an Alt+letter that
matches no visible mnemonic is swallowed instead of being typed into the focused field.

Qt matches shortcuts before the key press reaches the widget; on X11 an unmatched Alt+letter then
arrives at a line edit as text, which inserted the letter (a fault a new user hit at once). AltGr
(third-level) characters such as "@" on European keyboards do not carry the Alt modifier, so they
still type.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit

_TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QPlainTextEdit, QTextEdit)
_installed: list[QObject] = []


class AltLetterGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, _TEXT_INPUTS):
            key = event if isinstance(event, QKeyEvent) else None
            if key is not None and is_alt_letter(key):
                return True  # a mnemonic that matched nothing: do not type it
        return False


def is_alt_letter(event: QKeyEvent) -> bool:
    mods = event.modifiers()
    alt_only = bool(mods & Qt.KeyboardModifier.AltModifier) and not mods & (
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
    return alt_only and bool(event.text()) and event.text().isprintable()


def guard_alt_letters() -> None:
    """Install the guard on the application once (idempotent)."""
    app = QApplication.instance()
    if app is None or _installed:
        return
    guard = AltLetterGuard(app)
    app.installEventFilter(guard)
    _installed.append(guard)


class _CtrlEnter(QObject):
    def __init__(self, edit: QPlainTextEdit, action: Callable[[], object]) -> None:
        super().__init__(edit)
        self.action = action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.action()
            return True
        return False


def submit_on_ctrl_enter(edit: QPlainTextEdit, action: Callable[[], object]) -> None:
    """Ctrl+Enter (either Enter key) in the multi-line ``edit`` runs ``action`` (the dialog's OK, Write note);
    Enter alone still starts a new line."""
    edit.installEventFilter(_CtrlEnter(edit, action))
