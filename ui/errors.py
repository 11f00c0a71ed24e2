"""Message boxes: errors (the QenexError message, never a traceback), notices and confirmations.

None of them blocks the event loop: they open window-modal and call back."""
from __future__ import annotations

import logging
import re

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import DatabaseUnavailable, PermissionDenied, QenexError
from core.persistence.outage import is_connection_loss, unavailable

log = logging.getLogger(__name__)
_open: set[QMessageBox] = set()  # parentless boxes stay alive until closed


# A refusal core words for every desk names the command-line way too ("(qenex drawer open)", "; qenex rails list
# shows them"): meaningless to a teller at the console. ``words`` says it in the console's terms: the refusals a
# console user meets most in the console's own words (what happened, what to do here, whom to ask), and every
# other message without its command-line hint.
_CLI_HINTS = (
    (re.compile(r" or '?qenex [a-z -]+'? (finds|shows|lists) them"), r" \1 them"),  # "the finder or qenex … finds them"
    (re.compile(r"\((?:qenex [^(),]*), or ([^()]*)\)"), r"(\1)"),  # "(qenex approvals, or the Holds tab)"
    (re.compile(r"\(([^()]*?),? or '?qenex [^()]*\)"), r"(\1)"),  # "(Reassign… in the queue, or qenex alerts …)"
    (re.compile(r"\s*\((?:see |e\.g\. )?'?qenex [^()]*(?:\([^()]*\)[^()]*)*\)"), ""),  # "(qenex drawer open)"
    (re.compile(r"[;,]? (?:or )?(?:list them with:? |list cases with |see )?'?qenex [a-z][^;.()]*?'?"
                r"(?: shows them| lists them| finds them)?(?=[;.)]|$)"), ""),  # "; qenex rails list shows them"
)
_CONSOLE = {  # code -> the console's words (``{…}`` from the error's details)
    "no_open_drawer": ("You have no open {currency} cash drawer, so no cash was taken or paid. Open your drawer on "
                       "the Drawer tab first (count the float it takes from the vault), then post the cash again; "
                       "if the vault is short or the drawer will not open, ask your supervisor."),
}


def console_words(err: BaseException) -> str:
    """What a console user reads for ``err``: core's message in the console's terms (no command-line hints)."""
    if not isinstance(err, QenexError):
        return str(err)
    template = _CONSOLE.get(err.code)
    if template is not None:
        try:
            return template.format(**{k: v for k, v in err.details.items()}) if err.details else template
        except (KeyError, IndexError):
            pass
    return console_text(err.message)


def console_text(text: str) -> str:
    """``text`` (a core message kept as text: a failed run's reason, a payment's message) without command-line
    hints."""
    for pattern, replacement in _CLI_HINTS:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+([;,.])", r"\1", text).strip()


def describe(err: BaseException) -> tuple[str, str]:
    """A (title, message) pair for ``err`` in plain words (``words``: the console's terms)."""
    if isinstance(err, PermissionDenied):
        return "Not allowed", console_words(err)
    if not isinstance(err, QenexError) and is_connection_loss(err):
        err = unavailable(err)  # never the driver's text (it may hold SQL), never "Unexpected error"
    if isinstance(err, DatabaseUnavailable):
        return "Database unreachable", console_words(err)
    if isinstance(err, QenexError):
        return "Refused", console_words(err)
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
