"""The login dialog: username, password and TOTP code; first login enrolls MFA and shows recovery codes once."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.security.errors import (
    AccountLocked, BadCredentials, CodeReused, InvalidCode, LoginExpired, PasswordPolicyError,
)
from core.security.sessions import LoginResult, LoginStep
from ui.forms import InlineForm
from ui.keys import guard_alt_letters
from ui.login.enrollment import EnrollmentPage, RecoveryCodesPage
from ui.login.messages import refusal_text
from ui.login.new_password import NewPasswordPage


class CredentialsPage(InlineForm):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = QLineEdit(placeholderText="your user name", maxLength=64)
        self.password = QLineEdit(placeholderText="password", echoMode=QLineEdit.EchoMode.Password, maxLength=1024)
        self.code = QLineEdit(placeholderText="6-digit code, or a recovery code", maxLength=32)
        self.add_field("username", "&User name", self.username)
        self.add_field("password", "&Password", self.password)
        self.add_field("code", "Authenticator &code", self.code)
        self.sign_in = QPushButton("Sign in", objectName="primary", default=True)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.sign_in)
        box.addStretch(1)
        self.finish(row)


class LoginDialog(QDialog):
    """Accepts with ``result`` (a LoginResult) once the user is logged in (and, at first login, enrolled)."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_alt_letters()
        self.services = services
        self.result_: LoginResult | None = None
        self._step: LoginStep | None = None
        self._step_for: tuple[str, str] | None = None
        self._new_password: str | None = None  # chosen on the new-password page, sent with the code
        self._busy = False
        self.setWindowTitle("QENEX Console — sign in")
        self.setMinimumWidth(460)

        self.credentials = CredentialsPage()
        self.enrollment = EnrollmentPage()
        self.recovery = RecoveryCodesPage()
        self.new_password = NewPasswordPage()
        self._pages = (self.credentials, self.new_password, self.enrollment, self.recovery)
        banner = QLabel("QENEX Console", objectName="loginBanner", alignment=Qt.AlignmentFlag.AlignLeft)
        self.subtitle = QLabel("Sign in with your password and the code from your authenticator app.",
                               objectName="pageHint", wordWrap=True)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 18)
        root.addWidget(banner)
        root.addWidget(self.subtitle)
        for page in self._pages:
            root.addWidget(page)

        c = self.credentials
        for edit in (c.username, c.password, c.code):
            edit.returnPressed.connect(self.submit)
        c.sign_in.clicked.connect(self.submit)
        self.enrollment.confirm.clicked.connect(self.confirm_enrollment)
        self.enrollment.code.returnPressed.connect(self.confirm_enrollment)
        self.recovery.done.clicked.connect(self._finish_after_codes)
        self.new_password.save.clicked.connect(self.choose_password)
        self.enrollment.back.clicked.connect(self.back_to_sign_in)
        self.new_password.back.clicked.connect(self.back_to_sign_in)
        for edit in (self.new_password.new, self.new_password.repeat, self.new_password.code):
            edit.returnPressed.connect(self.choose_password)
        # Ctrl+Q quits from the sign-in window too (rejecting it ends the application, as closing does).
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.reject)  # also where the platform names no Quit key
        # The dialog grows with inline errors instead of squeezing the fields (a wrong password used to
        # collapse the password field and clip the lockout message).
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        for page in self._pages:
            page.setMinimumWidth(412)  # the layout's minimum decides the width under SetMinimumSize
        self.show_page(self.credentials)
        c.username.setFocus()

    def show_page(self, page: QWidget) -> None:
        """Show one page (credentials, enrollment or recovery codes) and fit the dialog to it."""
        for other in self._pages:
            other.setVisible(other is page)
        self.layout().activate()
        self.adjustSize()

    def current_page(self) -> QWidget:
        return next(page for page in self._pages if not page.isHidden())

    def back_to_sign_in(self) -> None:
        """Leave the new-password or enrollment step: back to the first page, nothing saved (the step's
        password and code are dropped; signing in again starts it afresh)."""
        if self._busy:
            return
        self._step = self._step_for = None
        self._new_password = None
        self.subtitle.setText("Sign in with your password and the code from your authenticator app.")
        self.credentials.clear()
        self.credentials.password.clear()
        self.credentials.code.clear()
        self.show_page(self.credentials)
        self.credentials.password.setFocus()

    # -- credentials ----------------------------------------------------------------------------
    def submit(self) -> None:
        c = self.credentials
        if self._busy:
            return
        c.clear()
        username, password, code = c.username.text().strip(), c.password.text(), c.code.text().strip()
        if not username:
            c.set_error("username", "enter your user name")
        if not password:
            c.set_error("password", "enter your password")
        if not (username and password):
            return
        users, device = self.services.users, self.services.device
        if self._step is not None and self._step_for == (username, password):
            if not code:
                c.set_error("code", "enter the 6-digit code from your authenticator app")
                return
            step, new_password = self._step, self._new_password
            self._run(lambda _task: users.complete_login(step, code, new_password), self._logged_in)
            return

        def work(_task: object) -> tuple[LoginStep, LoginResult | QenexError | None]:
            step = users.begin_login(username, password, device)
            if step.needs_enrollment or step.needs_password_change or not code:
                return step, None
            try:
                return step, users.complete_login(step, code)
            except (InvalidCode, CodeReused) as err:
                return step, err  # the password was right: keep the step for another code

        self._run(work, lambda outcome: self._password_accepted(username, password, *outcome))

    def _password_accepted(self, username: str, password: str, step: LoginStep,
                           outcome: LoginResult | QenexError | None) -> None:
        self._step, self._step_for, self._new_password = step, (username, password), None
        if step.needs_password_change:
            self.subtitle.setText("Choose your own password to finish signing in.")
            self.new_password.prepare(enrolling=step.needs_enrollment)
            self.new_password.code.setText(self.credentials.code.text().strip())
            self.show_page(self.new_password)
            self.new_password.new.setFocus()
        elif step.enrollment is not None:
            self.subtitle.setText("First sign-in: set up two-factor authentication.")
            self.enrollment.show_enrollment(step.enrollment)
            self.show_page(self.enrollment)
            self.enrollment.code.setFocus()
        elif outcome is None:
            self.credentials.set_error("code", "enter the 6-digit code from your authenticator app")
            self.credentials.code.setFocus()
        elif isinstance(outcome, QenexError):
            self._failed(outcome)
        else:
            self._logged_in(outcome)

    def _run(self, work, on_success) -> None:  # noqa: ANN001
        self._busy = True
        Op(self, work).success(lambda value: self._done(on_success, value)).failure(self._failed).run_in_background()

    def _done(self, on_success, value: object) -> None:  # noqa: ANN001
        self._busy = False
        on_success(value)

    def _failed(self, err: Exception) -> None:
        self._busy = False
        if isinstance(err, PasswordPolicyError) and self._step is not None and self._step.needs_password_change:
            self._new_password = None  # e.g. the same as the administrator's: choose again
            self.new_password.prepare(enrolling=self._step.needs_enrollment)
            self.show_page(self.new_password)
            self.new_password.set_error("new", err.message)
            self.new_password.new.setFocus()
            return
        page = self.current_page()
        if isinstance(err, (InvalidCode, CodeReused)):
            page.set_error("code", err.message)
            page.fields["code"].setFocus()
            page.fields["code"].selectAll()
            return
        if isinstance(err, LoginExpired | AccountLocked) or not isinstance(err, QenexError):
            self._step = self._step_for = None
        if isinstance(err, BadCredentials):
            self.credentials.set_error("password", err.message)
            self.credentials.password.selectAll()
            self.credentials.password.setFocus()
            return
        self.show_page(self.credentials)
        self.credentials.set_status(refusal_text(err), ok=False)

    # -- a password of one's own ---------------------------------------------------------------
    def choose_password(self) -> None:
        """Check the new password here (the policy is pure), then sign in with it or go on to enrollment."""
        page, step = self.new_password, self._step
        if self._busy or step is None:
            return
        new_password = page.checked(step.username)
        if new_password is None:
            return
        self._new_password = new_password
        if step.enrollment is not None:
            self.subtitle.setText("First sign-in: set up two-factor authentication.")
            self.enrollment.show_enrollment(step.enrollment)
            self.show_page(self.enrollment)
            self.enrollment.code.setFocus()
            return
        code = page.code.text().strip()
        if not code:
            page.set_error("code", "enter the 6-digit code from your authenticator app")
            page.code.setFocus()
            return
        users = self.services.users
        self._run(lambda _task: users.complete_login(step, code, new_password), self._logged_in)

    # -- enrollment -----------------------------------------------------------------------------
    def confirm_enrollment(self) -> None:
        page = self.enrollment
        if self._busy or self._step is None:
            return
        page.clear()
        code = page.code.text().strip()
        if not code:
            page.set_error("code", "enter the 6-digit code your authenticator app shows now")
            return
        users, step, new_password = self.services.users, self._step, self._new_password
        self._run(lambda _task: users.complete_login(step, code, new_password), self._enrolled)

    def _enrolled(self, result: LoginResult) -> None:
        self.result_ = result
        self.subtitle.setText("Two-factor authentication is set up.")
        self.recovery.show_codes(result.recovery_codes)
        self.show_page(self.recovery)
        self.recovery.stored.setFocus()

    def _finish_after_codes(self) -> None:
        self.recovery.forget()
        self.accept()

    def _logged_in(self, result: LoginResult) -> None:
        self.result_ = result
        self.credentials.password.clear()
        self.new_password.new.clear()
        self.new_password.repeat.clear()
        self.accept()
