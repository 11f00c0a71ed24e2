"""The admin page: add users, disable and re-enable them, change roles, unlock a lockout, reset a password (a
temporary one the user replaces at next login) and reset MFA. A disable, a role change or a password reset ends
the user's open sessions at their next action (core.security.session_check)."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.security.roles import USER_ROLES, Actor
from core.security.sessions import NewUser, UserView
from ui.columns import Column
from ui.errors import confirm, show_error, console_words
from ui.forms import InlineForm
from ui.layout import card, page_header, table_view
from ui.rows_model import RowsModel

_FIELD_BY_CODE = {"invalid_username": "username", "username_taken": "username", "invalid_role": "role"}


def _when(value) -> str:  # noqa: ANN001
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "—"


def locked_now(user: UserView) -> bool:
    """A lockout counts only until it runs out (the row keeps the old time afterwards)."""
    return user.locked_until is not None and user.locked_until > datetime.now(timezone.utc)


def _lockout(user: UserView) -> str:
    return _when(user.locked_until) if locked_now(user) else "—"


USER_COLUMNS = (
    Column("User", lambda u: u.username),
    Column("Role", lambda u: u.role.value),
    Column("Status", lambda u: u.status),
    Column("MFA", lambda u: "enrolled" if u.enrolled else "pending"),
    Column("Password", lambda u: "change at login" if u.must_change_password else "own"),
    Column("Locked until", _lockout),
    Column("Failed", lambda u: str(u.failed_attempts), align_right=True),
    Column("Last login", lambda u: _when(u.last_login_at)),
)


class AddUserForm(InlineForm):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.username = QLineEdit(placeholderText="e.g. j.doe", maxLength=64)
        self.role = QComboBox()
        self.role.addItems([r.value for r in USER_ROLES])
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password, maxLength=256,
                                  placeholderText="at least 12 characters")
        self.repeat = QLineEdit(echoMode=QLineEdit.EchoMode.Password, maxLength=256)
        self.add_field("username", "&User name", self.username)
        self.add_field("role", "&Role", self.role)
        self.add_field("password", "&Initial password", self.password)
        self.add_field("repeat", "Re&peat password", self.repeat)
        self.add_button = QPushButton("Add user", objectName="primary")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.add_button)
        box.addStretch(1)
        self.finish(row)


class AdminPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.model = RowsModel(USER_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((110, 80, 65, 70, 115, 135, 55)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.selected_card, sel_box = card()
        self.selected_label = QLabel("Select a user", objectName="pageTitle")
        self.selected_detail = QLabel("", objectName="muted", wordWrap=True)
        self.role = QComboBox()
        self.role.addItems([r.value for r in USER_ROLES])
        self.change_role_button = QPushButton("Change role")
        self.disable_button = QPushButton("Disable")
        self.enable_button = QPushButton("Re-enable")
        self.reset_mfa_button = QPushButton("Reset &MFA…")
        self.unlock_button = QPushButton("Un&lock")
        self.unlock_button.setToolTip("Lift the lockout after too many failed sign-ins")
        self.reset_password_button = QPushButton("Reset pass&word…")
        self.reset_password_button.setToolTip("Give a temporary password the user replaces at their next sign-in")
        self.action_status = QLabel("", objectName="formStatus", wordWrap=True)
        self.action_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        role_row = QHBoxLayout()
        role_row.addWidget(self.role, 1)
        role_row.addWidget(self.change_role_button)
        buttons = QHBoxLayout()
        for button in (self.disable_button, self.enable_button, self.unlock_button):
            buttons.addWidget(button)
        resets = QHBoxLayout()
        for button in (self.reset_password_button, self.reset_mfa_button):
            resets.addWidget(button)
        sel_box.addWidget(self.selected_label)
        sel_box.addWidget(self.selected_detail)
        sel_box.addLayout(role_row)
        sel_box.addLayout(buttons)
        sel_box.addLayout(resets)
        sel_box.addWidget(self.action_status)

        self.add_card, add_box = card()
        add_box.addWidget(QLabel("New user", objectName="pageTitle"))
        add_box.addWidget(QLabel("At first sign-in the user sets up two-factor sign-in and replaces this "
                                 "initial password with their own.", objectName="muted", wordWrap=True))
        self.add_form = AddUserForm()
        add_box.addWidget(self.add_form)

        self.change_role_button.clicked.connect(self.change_role)
        self.disable_button.clicked.connect(lambda: self._change("disable", "disabled"))
        self.enable_button.clicked.connect(lambda: self._change("enable", "re-enabled"))
        self.reset_mfa_button.clicked.connect(self.reset_mfa)
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_password_button.clicked.connect(self.reset_password)
        self.add_form.add_button.clicked.connect(self.add_user)
        for edit in (self.add_form.username, self.add_form.password, self.add_form.repeat):
            edit.returnPressed.connect(self.add_user)

        right = QWidget()
        right.setFixedWidth(380)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.selected_card)
        right_box.addWidget(self.add_card)
        right_box.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(right)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addWidget(page_header("Admin", "Users of this bank's consoles: roles, access and two-factor sign-in."))
        root.addLayout(body, 1)
        self._set_selected(None)
        self.refresh()

    # -- list and selection ---------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        users, actor = self.services.users, self.actor
        keep = select or (self.selected.username if self.selected else None)
        Op(self, lambda _task: users.list_users(actor)).success(
            lambda rows: self._show_users(rows, keep)).run_in_background()

    def _show_users(self, rows: list[UserView], select: str | None) -> None:
        self.model.set_rows(rows)
        index = next((i for i, u in enumerate(rows) if u.username == select), None)
        if index is not None:
            self.table.selectRow(index)
        else:
            self._set_selected(None)

    def users(self) -> list[UserView]:
        return [self.model.row_object(i) for i in range(self.model.rowCount())]

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        self._set_selected(self.model.row_object(rows[0].row()) if rows else None)

    def _set_selected(self, user: UserView | None) -> None:
        self.selected = user
        is_self = user is not None and user.id == self.actor.user_id
        self.selected_label.setText(user.username if user else "Select a user")
        if user is None:
            self.selected_detail.setText("Pick a user in the list to change their role, access or MFA.")
        else:
            self.selected_detail.setText(f"{user.role.value} · {user.status} · MFA "
                                         f"{'enrolled' if user.enrolled else 'pending'}"
                                         + (f" · locked until {_when(user.locked_until)}" if locked_now(user) else "")
                                         + (" · must choose a password at next sign-in"
                                            if user.must_change_password else "")
                                         + (" · this is you" if is_self else ""))
            self.role.setCurrentText(user.role.value)
        self.role.setEnabled(user is not None and not is_self)
        self.change_role_button.setEnabled(user is not None and not is_self)
        self.disable_button.setEnabled(user is not None and not is_self and user.status == "active")
        self.enable_button.setEnabled(user is not None and (user.status != "active" or locked_now(user)))
        self.reset_mfa_button.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and locked_now(user))
        self.reset_password_button.setEnabled(user is not None and not is_self)

    # -- actions --------------------------------------------------------------------------------
    def _status(self, text: str, ok: bool) -> None:
        self.action_status.setText(text)
        self.action_status.setProperty("state", "ok" if ok else "error")
        self.action_status.style().unpolish(self.action_status)
        self.action_status.style().polish(self.action_status)

    def _run(self, work, done_text: str, username: str) -> None:  # noqa: ANN001
        Op(self, lambda _task: work()).success(lambda _r: self._done(done_text, username)).failure(
            self._refused).run_in_background()

    def _done(self, text: str, username: str) -> None:
        self._status(text, ok=True)
        self.refresh(select=username)

    def _refused(self, err: Exception) -> None:
        if isinstance(err, QenexError):
            self._status(console_words(err), ok=False)
        else:
            show_error(self, err)

    def _change(self, verb: str, done: str) -> None:
        if self.selected is None:
            return
        users, actor, name = self.services.users, self.actor, self.selected.username
        call = users.disable if verb == "disable" else users.enable
        self._run(lambda: call(actor, name), f"{name} {done}.", name)

    def change_role(self) -> None:
        if self.selected is None:
            return
        users, actor, name, role = self.services.users, self.actor, self.selected.username, self.role.currentText()
        self._run(lambda: users.change_role(actor, name, role), f"{name} is now {role}.", name)

    def unlock(self) -> None:
        if self.selected is None:
            return
        users, actor, name = self.services.users, self.actor, self.selected.username
        self._run(lambda: users.unlock_user(actor, name), f"{name} unlocked: they can sign in again now.", name)

    def reset_password(self) -> None:
        if self.selected is None:
            return
        users, actor, name = self.services.users, self.actor, self.selected.username

        def reset() -> None:
            Op(self, lambda _task: users.reset_password(actor, name)).success(
                lambda temporary: self._done(f"Password of {name} reset. Temporary password (shown once, hand it "
                                             f"to {name}): {temporary} — they choose their own at next sign-in.",
                                             name)).failure(self._refused).run_in_background()

        confirm(self, "Reset password", f"Give {name} a temporary password? Their current password stops working, "
                                        "their open sessions end at their next action, and they choose a new "
                                        "password at their next sign-in.", reset)

    def reset_mfa(self) -> None:
        if self.selected is None:
            return
        users, actor, name = self.services.users, self.actor, self.selected.username

        def reset() -> None:
            self._run(lambda: users.reset_mfa(actor, name),
                      f"MFA of {name} reset: they enroll again at next login (old codes no longer work).", name)

        confirm(self, "Reset MFA", f"Reset two-factor sign-in for {name}? Their authenticator and recovery codes "
                                   "stop working; they enroll again at their next login.", reset)

    def add_user(self) -> None:
        form = self.add_form
        form.clear()
        username, role = form.username.text().strip(), form.role.currentText()
        password, repeat = form.password.text(), form.repeat.text()
        if not username:
            form.set_error("username", "enter a user name")
            return
        if password != repeat:
            form.set_error("repeat", "the passwords differ")
            return
        users, actor = self.services.users, self.actor
        Op(self, lambda _task: users.add_user(actor, username, role, password)).success(self._added).failure(
            self._add_refused).run_in_background()

    def _added(self, new: NewUser) -> None:
        form = self.add_form
        for edit in (form.username, form.password, form.repeat):
            edit.clear()
        form.set_status(f"Added {new.user.username} ({new.user.role.value}); at their first sign-in they set up "
                        "two-factor sign-in and choose their own password.", ok=True)
        self.refresh(select=new.user.username)

    def _add_refused(self, err: Exception) -> None:
        if not isinstance(err, QenexError):
            show_error(self, err)
            return
        key = _FIELD_BY_CODE.get(err.code) or ("password" if err.code.startswith("password") else None)
        self.add_form.show_failure(err, key)

