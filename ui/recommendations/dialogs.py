"""The reject dialog: a reason that says something is required (``core.ai.rules.check_reason``, which core
applies too); with a sender it stays open until core accepts the rejection (a refusal is shown in place,
the reason kept: ``ui.send_dialog``). Its OK button reads "Reject" (Alt+R)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core.ai.rules import MIN_REASON_CHARS, MIN_REASON_WORDS, check_reason
from core.errors import ValidationError
from ui.required import hint_label, require
from ui.send_dialog import Sender, finish, send


class RejectDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None, sender: Sender | None = None) -> None:
        super().__init__(parent)
        self.sender_ = sender
        self.setWindowTitle("Reject recommendation")
        root = QVBoxLayout(self)
        root.addWidget(QLabel(f"Reject: {title}", wordWrap=True))
        label = QLabel(f"Rea&son (required, at least {MIN_REASON_CHARS} characters and {MIN_REASON_WORDS} words; it is "
                       "audited and shown with the card):", wordWrap=True)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        label.setBuddy(self.reason)
        root.addWidget(label)
        root.addWidget(self.reason)
        self.hint = hint_label()
        root.addWidget(self.hint)
        self.error = finish(self, root, self._submit)
        self.ok_button.setText("&Reject")
        require(self.ok_button, self._missing, self.hint, self.reason)
        self.resize(520, 260)

    def text(self) -> str:
        return " ".join(self.reason.toPlainText().split())

    def _missing(self) -> str:
        """What the reason still needs, as core's rule says (``check_reason``); "" once it passes."""
        try:
            check_reason(self.text())
        except ValidationError as err:
            message = err.message[:1].upper() + err.message[1:]
            return message if message.endswith(".") else message + "."
        return ""

    def _submit(self) -> None:
        try:
            text = check_reason(self.text())
        except ValidationError as err:
            self.error.setText(err.message)
            self.reason.setFocus()
            return
        send(self, self.sender_, (text,), self.error, self.ok_button, self.reason)
