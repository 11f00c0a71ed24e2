"""Unlocking an idle-locked desk: the same user's password and a fresh authenticator code."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.security.errors import BadCredentials, CodeReused, InvalidCode, LoginExpired, UserDisabled
from core.security.roles import Actor
from core.security.sessions import Session
from ui.forms import InlineForm
from ui.login.messages import refusal_text


class UnlockDialog(QDialog):
    """Accepts with ``session`` after a good password and code; finishes with LOGOUT if the user logs out."""

    LOGOUT = 2

    def __init__(self, services: Services, actor: Actor, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self.session: Session | None = None
        self._busy = False
        self.setWindowTitle("Desk locked")
        self.setMinimumWidth(420)
        self.form = InlineForm()
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password, maxLength=1024, placeholderText="password")
        self.code = QLineEdit(maxLength=32, placeholderText="a fresh 6-digit code")
        self.form.add_field("password", "&Password", self.password)
        self.form.add_field("code", "Authenticator &code", self.code)
        self.unlock_button = QPushButton("Unlock", objectName="primary", default=True)
        self.logout_button = QPushButton("Log out")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.unlock_button)
        box.addWidget(self.logout_button)
        box.addStretch(1)
        self.form.finish(row)
        root = QVBoxLayout(self)
        root.setContentsMargins(22, 18, 22, 16)
        root.addWidget(QLabel(f"Locked — {actor.username}", objectName="pageTitle"))
        self.reason_label = QLabel(f"{reason} Enter your password and a fresh code from your authenticator app.",
                                   objectName="pageHint", wordWrap=True)
        root.addWidget(self.reason_label)
        root.addWidget(self.form)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # grows with errors, never squeezes
        self.form.setMinimumWidth(376)
        self.password.returnPressed.connect(self.submit)
        self.code.returnPressed.connect(self.submit)
        self.unlock_button.clicked.connect(self.submit)
        self.logout_button.clicked.connect(lambda: self.done(self.LOGOUT))
        self.password.setFocus()

    def reject(self) -> None:
        """Escape and the close button do nothing: the desk stays locked until unlock or logout."""

    def submit(self) -> None:
        if self._busy:
            return
        self.form.clear()
        password, code = self.password.text(), self.code.text().strip()
        if not password:
            self.form.set_error("password", "enter your password")
        if not code:
            self.form.set_error("code", "enter the 6-digit code from your authenticator app")
        if not (password and code):
            return
        self._busy = True
        users, actor = self.services.users, self.actor
        Op(self, lambda _task: users.unlock(actor, password, code)).success(self._unlocked).failure(
            self._failed).run_in_background()

    def _unlocked(self, session: Session) -> None:
        self._busy = False
        self.session = session
        self.password.clear()
        self.accept()

    def _failed(self, err: Exception) -> None:
        self._busy = False
        if isinstance(err, BadCredentials):
            self.form.set_error("password", "wrong password")
            self.password.selectAll()
            self.password.setFocus()
        elif isinstance(err, (InvalidCode, CodeReused)):
            self.form.set_error("code", err.message)
            self.code.selectAll()
            self.code.setFocus()
        else:
            self.form.set_status(refusal_text(err), ok=False)
            if isinstance(err, (LoginExpired, UserDisabled)):
                self.unlock_button.setEnabled(False)  # only logging out (and in again) helps now
                self.logout_button.setDefault(True)
