"""Required fields of a dialog: the action stays off until they are filled, and the dialog says what is needed.

QA: the decide dialog's *Confirm fraud* and *Escalate*, and the reason dialogs (reject, release a hold, cancel an
order, reassign), were clickable with their required note empty; core (or a late check) refused afterwards.
Every such dialog now keeps its action button disabled while ``missing()`` returns a sentence, shows that sentence
under the field (``hint``) and as the button's tooltip, and turns the button on as soon as what is typed passes
the same rule core applies (``core.reasons`` for a decision's reason, also a fraud decision's note: ``note_missing``).
The dialog's own check on OK stays (Ctrl+Enter in a note): it refuses inline with the same sentence.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, SignalInstance
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from core import reasons


def text_of(edit: QLineEdit | QPlainTextEdit) -> str:
    return (edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()).strip()


def reason_missing(text: str, what: str = "the reason") -> str:
    """The sentence for a decision's reason that ``core.reasons.check`` would refuse ("" when it passes)."""
    if reasons.acceptable(text):
        return ""
    said = "Type" if not text.strip() else "Keep typing"
    return f"{said} {what}: {reasons.RULE} (required; it is audited)."


def note_missing(text: str, what: str) -> str:
    """The sentence for a fraud decision's note (``what``: "reassigning an alert", "resolving a case" ...) that
    core's ``claims.require_reason`` would refuse ("" when it passes): the same ``core.reasons`` rule."""
    from core.cases import claims
    from core.errors import QenexError

    try:
        claims.require_reason(text, what)
    except QenexError:
        said = "Type" if not text.strip() else "Keep typing"
        return f"{said} the note for {what}: {reasons.RULE} (required; it is audited)."
    return ""


def hint_label() -> QLabel:
    """The line under a required field that says what it still needs (amber, hidden when nothing is missing)."""
    label = QLabel("", objectName="formStatus", wordWrap=True)
    label.setProperty("state", "warning")
    label.hide()
    return label


class Required(QObject):
    """Keeps ``button`` off while ``missing()`` says what is missing (the sentence goes to ``hint`` and the
    button's tooltip); re-checked whenever one of ``watch`` (fields or signals) changes. ``tooltip``: the
    button's own tooltip once nothing is missing."""

    def __init__(self, button: QAbstractButton, missing: Callable[[], str], hint: QLabel | None,
                 watch: tuple[QWidget | SignalInstance, ...], tooltip: str = "") -> None:
        super().__init__(button)
        self.button, self.missing, self.hint, self.tooltip = button, missing, hint, tooltip
        self.blocked = False  # another reason keeps the button off (an outcome not chosen, a send under way)
        self.quiet: set[str] = set()  # sentences for the tooltip only (the dialog says them elsewhere)
        for item in watch:
            self.watch(item)
        self.update()

    def watch(self, item: QWidget | SignalInstance) -> None:
        if isinstance(item, (QLineEdit, QPlainTextEdit)):
            item.textChanged.connect(self.update)
        elif isinstance(item, QComboBox):
            item.currentIndexChanged.connect(self.update)
        elif isinstance(item, QAbstractButton):
            item.toggled.connect(self.update)
        else:
            item.connect(self.update)

    def sentence(self) -> str:
        return self.missing()

    def update(self, *_args: object) -> None:
        sentence = self.missing()
        window = self.button.window()
        sending = bool(window.property("sending")) if window is not None else False
        self.button.setEnabled(not sentence and not self.blocked and not sending)
        self.button.setToolTip(sentence or self.tooltip)
        if self.hint is not None:
            self.hint.setText(sentence)
            self.hint.setVisible(bool(sentence) and sentence not in self.quiet)


def require(button: QAbstractButton, missing: Callable[[], str], hint: QLabel | None,
            *watch: QWidget | SignalInstance, tooltip: str = "") -> Required:
    """Gate ``button`` on ``missing`` (see ``Required``); kept by the button. The gate is also the dialog's
    ``required_gate`` (``ui.send_dialog.send`` re-applies it when core refuses and the button comes back)."""
    gate = Required(button, missing, hint, watch, tooltip)
    window = button.window()
    if window is not None:
        window.required_gate = gate
    return gate
