"""Message boxes: errors (the QenexError message, never a traceback), notices and confirmations.

None of them blocks the event loop: they open window-modal and call back."""
from __future__ import annotations

import logging

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import DatabaseUnavailable, PermissionDenied, QenexError
from core.persistence.outage import is_connection_loss, unavailable

log = logging.getLogger(__name__)
_open: set[QMessageBox] = set()  # parentless boxes stay alive until closed


def describe(err: BaseException) -> tuple[str, str]:
    """A (title, message) pair for ``err`` in plain words."""
    if isinstance(err, PermissionDenied):
        return "Not allowed", err.message
    if not isinstance(err, QenexError) and is_connection_loss(err):
        err = unavailable(err)  # never the driver's text (it may hold SQL), never "Unexpected error"
    if isinstance(err, DatabaseUnavailable):
        return "Database unreachable", err.message
    if isinstance(err, QenexError):
        return "Refused", err.message
    log.error("unexpected error in a background task", exc_info=err)
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return "Unexpected error", f"{type(err).__name__}: {first}" if first else type(err).__name__


def show_error(parent: QWidget | None, err: BaseException) -> QMessageBox:
    if not isinstance(err, QenexError) and is_connection_loss(err):
        err = unavailable(err)
    title, message = describe(err)
    if isinstance(err, QenexError):  # the code is for logs and scripts, never shown to the person
        log.info("refused (%s): %s", err.code, err.message)
    return notify(parent, title, message, warning=True)


def notify(parent: QWidget | None, title: str, message: str, *, warning: bool = False) -> QMessageBox:
    """A message box that does not block the event loop (window-modal over ``parent``)."""
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog" if warning else "noticeDialog")
    _open.add(box)
    box.finished.connect(lambda _result: _open.discard(box))
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, question: str, on_yes: Callable[[], None]) -> QMessageBox:
    """Ask ``question``; ``on_yes()`` runs only if the user answers Yes (No is the default)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setObjectName("confirmDialog")
    _open.add(box)

    def finished(_result: int) -> None:
        _open.discard(box)
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box
