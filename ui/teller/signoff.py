"""A supervisor's sign-off at the teller's desk: a small dialog where the supervisor types their own username,
password and one-time code (core checks them as a sign-in: ``UserService.verify``, with lockout and audit).
The dialog stays open on a refusal, saying what to fix; nothing is kept after it closes."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.tasks import Op
from core.errors import QenexError
from ui.forms import InlineForm


class SignOffDialog(QDialog):
    """``work(supervisor, password, code)`` runs in the background on Sign; ``signed`` carries its result."""

    signed = Signal(object)

    def __init__(self, parent: QWidget | None, what: str, work: Callable[[str, str, str], Any]) -> None:
        super().__init__(parent)
        self._work = work
        self.setWindowTitle("Supervisor sign-off")
        self.setObjectName("supervisorSignOff")
        self.setMinimumWidth(400)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.addWidget(QLabel("Supervisor sign-off", objectName="pageTitle"))
        root.addWidget(QLabel(f"{what} The supervisor types their own password, and the code from their "
                              "authenticator app if they use one.", wordWrap=True, objectName="muted"))
        self.form = InlineForm()
        self.supervisor = QLineEdit(placeholderText="supervisor's username", maxLength=64)
        self.password = QLineEdit(maxLength=256, echoMode=QLineEdit.EchoMode.Password)
        self.code = QLineEdit(placeholderText="6-digit code (or a recovery code)", maxLength=32)
        self.form.add_field("supervisor", "&Supervisor", self.supervisor)
        self.form.add_field("password", "&Password", self.password)
        self.form.add_field("code", "One-time c&ode", self.code)
        self.sign_button = QPushButton("S&ign", objectName="primary", default=True)  # Enter in any field signs
        self.sign_button.clicked.connect(self.submit)
        cancel = QPushButton("Cancel", autoDefault=False)  # Enter while Sign is busy must not cancel
        cancel.clicked.connect(self.reject)
        row = QWidget()
        rb = QHBoxLayout(row)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addStretch(1)
        rb.addWidget(cancel)
        rb.addWidget(self.sign_button)
        self.form.finish(row)
        root.addWidget(self.form)
        self.supervisor.setFocus()

    def submit(self) -> None:
        self.form.clear()
        name, password, code = self.supervisor.text().strip(), self.password.text(), self.code.text().strip()
        if not name:
            self.form.set_error("supervisor", "the supervisor types their username")
            self.supervisor.setFocus()
            return
        if not password:
            self.form.set_error("password", "the supervisor types their own password")
            self.password.setFocus()
            return
        self.sign_button.setEnabled(False)
        work = self._work
        Op(self, lambda _t: work(name, password, code)).success(self._done).failure(self._failed).run_in_background()

    def _done(self, result: object) -> None:
        self.password.clear()
        self.code.clear()
        self.signed.emit(result)
        self.accept()

    def _failed(self, err: Exception) -> None:
        self.sign_button.setEnabled(True)
        key = str(getattr(err, "details", {}).get("field", "")) if isinstance(err, QenexError) else ""
        (self.code if key == "code" else self.password).clear()  # a refused secret is typed again, not kept
        self.form.show_failure(err, key if key in self.form.fields else None)
