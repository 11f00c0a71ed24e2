"""The desk's life cycle: login, the main window, idle and manual lock with unlock, logout, quit."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from app.services import Services
from app.tasks import Op, SessionEvents
from core.security.sessions import LoginResult
from ui.errors import notify
from ui.idle import IdleWatcher
from ui.login.dialog import LoginDialog
from ui.login.unlock import UnlockDialog
from ui.main_window import MainWindow
from ui.theme import Theme
from core.words import counted


class Shell(QObject):
    """Owns the login dialog, the main window and the idle watcher of one desk."""

    logged_in = Signal(object)  # MainWindow
    logged_out = Signal()
    locked = Signal()
    finished = Signal()  # the user quit (logout recorded): the caller ends the event loop

    def __init__(self, services: Services, theme: Theme) -> None:
        super().__init__()
        self.services, self.theme = services, theme
        self.window: MainWindow | None = None
        self.login_dialog: LoginDialog | None = None
        self.unlock_dialog: UnlockDialog | None = None
        seconds = services.idle_lock_seconds
        after = counted(seconds / 60, "minute") if seconds >= 60 else counted(seconds, "second")
        self._idle_reason = f"Locked after {after} without activity."
        self.idle = IdleWatcher(services.idle_lock_seconds, self)
        self.idle.idle.connect(lambda: self.lock(self._idle_reason, "idle"))
        SessionEvents.shared().revoked.connect(self._session_revoked)

    def start(self) -> None:
        self.show_login()

    def show_login(self) -> None:
        dialog = LoginDialog(self.services)
        dialog.accepted.connect(lambda: self._open_window(dialog.result_))
        dialog.rejected.connect(self._quit)
        self.login_dialog = dialog
        dialog.show()

    def _open_window(self, result: LoginResult | None) -> None:
        if self.login_dialog is not None:
            self.login_dialog.deleteLater()
            self.login_dialog = None
        if result is None:
            return
        window = MainWindow(self.services, result.session.actor, self.theme)
        window.lock_requested.connect(lambda: self.lock("Locked by you.", "manual"))
        window.logout_requested.connect(self.logout)
        window.closed.connect(self._quit)
        self.window = window
        window.show()
        self.idle.start()
        if result.recovery_codes_left is not None:
            notify(window, "Recovery code used",
                   f"You signed in with a recovery code. {result.recovery_codes_left} unused codes are left; "
                   "ask an administrator to reset your MFA if you lost your authenticator.",
                   warning=result.recovery_codes_left < 3)
        self.logged_in.emit(window)

    def lock(self, reason: str, kind: str) -> None:
        """Hide every page and ask for password and a fresh code (idle or Ctrl+L)."""
        window = self.window
        if window is None or window.locked:
            return
        self.idle.stop()
        window.set_locked(True)
        users, actor = self.services.users, window.actor
        Op(window, lambda _task: users.lock(actor, kind)).run_in_background()
        dialog = UnlockDialog(self.services, actor, reason, window)
        dialog.finished.connect(self._unlock_finished)
        self.unlock_dialog = dialog
        dialog.open()
        self.locked.emit()

    def _unlock_finished(self, result: int) -> None:
        dialog, self.unlock_dialog = self.unlock_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and self.window is not None:
            self.window.set_locked(False)
            self.idle.start()
        else:
            self.logout()

    def _session_revoked(self, err: Exception) -> None:
        """An administrator disabled this user, changed their role or reset their password: back to sign-in,
        saying why (the refused action did nothing)."""
        if self.window is None:
            return
        if self.unlock_dialog is not None:
            dialog, self.unlock_dialog = self.unlock_dialog, None
            dialog.finished.disconnect(self._unlock_finished)
            dialog.close()
            dialog.deleteLater()
        self.logout()
        if self.login_dialog is not None:
            self.login_dialog.credentials.set_status(getattr(err, "message", str(err)), ok=False)

    def logout(self) -> None:
        window, self.window = self.window, None
        if window is None:
            return
        self.idle.stop()
        users, actor = self.services.users, window.actor
        Op(None, lambda _task: users.logout(actor)).run_in_background()
        window.closed.disconnect(self._quit)
        window.close()
        window.deleteLater()
        self.logged_out.emit()
        self.show_login()

    def _quit(self) -> None:
        """Record the logout (if someone is logged in), then leave the event loop."""
        window, self.window = self.window, None
        self.idle.stop()
        if window is None:
            self._finish()
            return
        users, actor = self.services.users, window.actor
        Op(None, lambda _task: users.logout(actor)).success(lambda _r: self._finish()).failure(
            lambda _err: self._finish()).run_in_background()

    def _finish(self) -> None:
        self.finished.emit()
