"""The sign-in page where a new user, or one whose password an administrator reset, chooses their own password."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from core.errors import QenexError
from core.security.passwords import MIN_LENGTH, check_policy
from ui.forms import InlineForm


class NewPasswordPage(InlineForm):
    """New password twice and (unless the user is also enrolling MFA) the authenticator code."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_.addRow(QLabel("The password you were given was set by an administrator: choose your own. "
                                   "Nobody else will know it.", objectName="pageHint", wordWrap=True))
        self.new = QLineEdit(placeholderText=f"at least {MIN_LENGTH} characters", maxLength=256,
                             echoMode=QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(maxLength=256, echoMode=QLineEdit.EchoMode.Password)
        self.code = QLineEdit(placeholderText="6-digit code", maxLength=32)
        self.add_field("new", "&New password", self.new)
        self.add_field("repeat", "&Repeat it", self.repeat)
        self.add_field("code", "Authenticator &code", self.code)
        self.save = QPushButton("Set password and sign in", objectName="primary", default=True)
        self.back = QPushButton("&Back to sign-in")
        self.back.setToolTip("Leave for now: the password stays as it was until you set your own")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.save)
        box.addStretch(1)
        box.addWidget(self.back)
        self.finish(row)

    def prepare(self, *, enrolling: bool) -> None:
        """Empty fields; without the code row when the code is entered on the enrollment page next."""
        for edit in (self.new, self.repeat, self.code):
            edit.clear()
        self.clear()
        self.clear_status()
        self.layout_.setRowVisible(self.code.parentWidget(), not enrolling)
        self.save.setText("Continue to two-factor set-up" if enrolling else "Set password and sign in")

    def checked(self, username: str) -> str | None:
        """The new password if it passes the policy and both fields match (errors shown inline), else None."""
        self.clear()
        new, repeat = self.new.text(), self.repeat.text()
        try:
            check_policy(new, username)
        except QenexError as err:
            self.set_error("new", err.message)
            self.new.setFocus()
            return None
        if new != repeat:
            self.set_error("repeat", "the two passwords differ")
            self.repeat.setFocus()
            return None
        return new
