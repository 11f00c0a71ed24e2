"""Admin controls in the console (issue 8 §6): unlock and reset a password from the admin page; a new or reset
user chooses their own password at sign-in; a disabled or re-roled user's open desk returns to sign-in at the
next action, saying why."""
from __future__ import annotations

import time

import pyotp
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from core.security.roles import SYSTEM_ACTOR, Actor, Role
from ui.admin.page import AdminPage
from ui.login.dialog import LoginDialog
from ui.shell import Shell
from ui.theme import Theme

NEW_PASSWORD = "my own long secret 42"
ADMIN = Actor("root", Role.ADMIN)  # a named administrator: user management is human-only (roles.HUMAN_ONLY)


def _admin_page(qtbot, services, admin_user):  # noqa: ANN001, ANN202
    view = next(u for u in services.users.list_users(ADMIN) if u.username == admin_user.username)
    page = AdminPage(services, Actor(view.username, Role.ADMIN, user_id=view.id, device="desk-test"))
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=20_000)
    return page


def _select(page, username):  # noqa: ANN001
    page.table.selectRow(next(i for i, u in enumerate(page.users()) if u.username == username))


def _user(page, username):  # noqa: ANN001, ANN202
    return next(u for u in page.users() if u.username == username)


def _yes() -> None:
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    box.button(QMessageBox.StandardButton.Yes).click()


def test_unlock_a_locked_out_user(qtbot, services, make_user):
    make_user("tina", Role.TELLER)
    for _ in range(services.users.lockout.max_failures):
        try:
            services.users.begin_login("tina", "wrong password!!")
        except Exception:  # noqa: BLE001, S110 - the refusals are the point
            pass
    page = _admin_page(qtbot, services, make_user("ann", Role.ADMIN))
    _select(page, "tina")
    assert page.unlock_button.isEnabled() and "locked until" in page.selected_detail.text()
    page.unlock_button.click()
    qtbot.waitUntil(lambda: _user(page, "tina").locked_until is None, timeout=20_000)
    assert "tina unlocked" in page.action_status.text()
    qtbot.waitUntil(lambda: page.selected is not None and not page.unlock_button.isEnabled(), timeout=20_000)


def test_reset_a_password_shows_the_temporary_one_once(qtbot, services, make_user):
    make_user("tina", Role.TELLER)
    page = _admin_page(qtbot, services, make_user("ann", Role.ADMIN))
    _select(page, "ann")
    assert not page.reset_password_button.isEnabled()  # not one's own
    _select(page, "tina")
    page.reset_password()
    _yes()
    qtbot.waitUntil(lambda: _user(page, "tina").must_change_password, timeout=20_000)
    text = page.action_status.text()
    assert "Temporary password (shown once" in text
    temporary = text.split("): ")[1].split(" — ")[0]
    assert services.users.begin_login("tina", temporary).needs_password_change
    assert page.model.data(page.model.index(next(i for i, u in enumerate(page.users()) if u.username == "tina"),
                                            4)) == "change at login"


def test_a_new_user_chooses_a_password_then_enrolls(qtbot, services):
    new = services.users.add_user(SYSTEM_ACTOR, "nina", Role.ANALYST, "given by the admin 1")
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    c = dialog.credentials
    qtbot.keyClicks(c.username, "nina")
    qtbot.keyClicks(c.password, "given by the admin 1")
    qtbot.keyClick(c.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.new_password, timeout=20_000)
    page = dialog.new_password
    assert page.code.parentWidget().isHidden()  # the code comes on the enrollment page
    qtbot.keyClicks(page.new, "short")
    qtbot.keyClick(page.new, Qt.Key.Key_Return)
    assert "at least 12 characters" in page.field_errors()["new"]
    page.new.setText(NEW_PASSWORD)
    qtbot.keyClicks(page.repeat, NEW_PASSWORD)
    qtbot.keyClick(page.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.enrollment, timeout=20_000)
    qtbot.keyClicks(dialog.enrollment.code, pyotp.TOTP(new.enrollment.secret).now())
    qtbot.keyClick(dialog.enrollment.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.recovery, timeout=20_000)
    assert services.users.begin_login("nina", NEW_PASSWORD).needs_password_change is False


def test_a_reset_user_chooses_a_password_with_the_code(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    services.users.reset_password(ADMIN, "tina", "temporary pass 99")
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    c = dialog.credentials
    qtbot.keyClicks(c.username, "tina")
    qtbot.keyClicks(c.password, "temporary pass 99")
    qtbot.keyClicks(c.code, user.code())
    qtbot.keyClick(c.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.new_password, timeout=20_000)
    page = dialog.new_password
    assert page.code.text() == user.code() or page.code.text()  # carried over from the first page
    page.new.setText("temporary pass 99")
    page.repeat.setText("temporary pass 99")
    qtbot.keyClick(page.repeat, Qt.Key.Key_Return)  # the same as the administrator's: refused by core
    qtbot.waitUntil(lambda: "new" in page.field_errors(), timeout=20_000)
    assert "differ from the one the administrator gave you" in page.field_errors()["new"]
    page.new.setText(NEW_PASSWORD)
    page.repeat.setText(NEW_PASSWORD)
    page.code.setText(pyotp.TOTP(user.secret).at(time.time() + 30))
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        qtbot.keyClick(page.repeat, Qt.Key.Key_Return)
    assert dialog.result_.session.username == "tina"


def test_a_disabled_users_desk_returns_to_sign_in_at_the_next_action(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    shell = Shell(services, Theme())
    shell.start()
    qtbot.addWidget(shell.login_dialog)
    c = shell.login_dialog.credentials
    qtbot.keyClicks(c.username, user.username)
    qtbot.keyClicks(c.password, user.password)
    qtbot.keyClicks(c.code, user.code())
    with qtbot.waitSignal(shell.logged_in, timeout=20_000) as blocker:
        qtbot.keyClick(c.code, Qt.Key.Key_Return)
    window = blocker.args[0]
    qtbot.addWidget(window)
    services.users.disable(ADMIN, "tina")
    with qtbot.waitSignal(shell.logged_out, timeout=20_000):
        window.refresh()  # F5: the next action
    qtbot.addWidget(shell.login_dialog)
    status = shell.login_dialog.credentials.status
    qtbot.waitUntil(lambda: not status.isHidden(), timeout=20_000)
    assert "your session has ended: an administrator disabled your account" in status.text()
    shell.login_dialog.reject()
