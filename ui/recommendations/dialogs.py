"""The reject dialog: a reason is required (core refuses an empty one too); with a sender it stays open until
core accepts the rejection (a refusal is shown in place, the reason kept: ``ui.send_dialog``)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core.ai.store import MAX_REASON
from ui.send_dialog import Sender, finish, send


class RejectDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None, sender: Sender | None = None) -> None:
        super().__init__(parent)
        self.sender_ = sender
        self.setWindowTitle("Reject recommendation")
        root = QVBoxLayout(self)
        root.addWidget(QLabel(f"Reject: {title}", wordWrap=True))
        label = QLabel("&Reason (required; it is audited and shown with the card):")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        label.setBuddy(self.reason)
        root.addWidget(label)
        root.addWidget(self.reason)
        self.error = finish(self, root, self._submit)
        self.resize(520, 260)

    def text(self) -> str:
        return " ".join(self.reason.toPlainText().split())

    def _submit(self) -> None:
        text = self.text()
        if not text:
            self.error.setText("Say why you reject it: the reason is required.")
            self.reason.setFocus()
            return
        if len(text) > MAX_REASON:
            self.error.setText(f"The reason has {len(text)} characters; keep it within {MAX_REASON}.")
            return
        send(self, self.sender_, (text,), self.error, self.ok_button, self.reason)
