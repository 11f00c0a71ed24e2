"""The desk's life cycle and the main window: role-based navigation, idle lock and unlock, logout."""
from __future__ import annotations

import time
from dataclasses import replace

import pyotp
from PySide6.QtCore import Qt

from core.security.roles import Role
from ui.pages import PAGES
from ui.shell import Shell
from ui.theme import Theme


def _shell(qtbot, services):  # noqa: ANN001, ANN202
    shell = Shell(services, Theme())
    shell.start()
    qtbot.addWidget(shell.login_dialog)
    return shell


def _login(qtbot, shell, user):  # noqa: ANN001, ANN202
    c = shell.login_dialog.credentials
    qtbot.keyClicks(c.username, user.username)
    qtbot.keyClicks(c.password, user.password)
    qtbot.keyClicks(c.code, user.code())
    with qtbot.waitSignal(shell.logged_in) as blocker:
        qtbot.keyClick(c.code, Qt.Key.Key_Return)
    window = blocker.args[0]
    qtbot.addWidget(window)
    return window


def _next_code(user):  # noqa: ANN001, ANN202
    """A code newer than the one used to log in (the authenticator's next one; ±1 step is accepted)."""
    return pyotp.TOTP(user.secret).at(time.time() + 30)


def test_teller_sees_no_admin_or_audit(qtbot, services, make_user):
    window = _login(qtbot, _shell(qtbot, services), make_user("tina", Role.TELLER))
    assert window.nav_keys() == ["teller", "payments", "approvals"]  # approvals: their own requests
    assert window.nav_keys(enabled_only=True) == ["teller", "payments", "approvals"]
    assert window.current_key() == "teller"
    assert not window.show_page("admin")
    assert "admin" not in window.page_actions
    assert window.page_actions["approvals"].shortcut().toString() == "Ctrl+7"
    window.refused_actions["recommendations"].trigger()  # Ctrl+3: says so, stays on the page
    assert window.current_key() == "teller"
    assert window.status.currentMessage() == "The Recommendations page is not available to the teller role."


def test_admin_and_supervisor_navigation(qtbot, services, make_user):
    shell = _shell(qtbot, services)
    admin = _login(qtbot, shell, make_user("ann", Role.ADMIN))
    assert admin.nav_keys() == ["admin", "audit"]
    shell.logout()
    qtbot.addWidget(shell.login_dialog)
    supervisor = _login(qtbot, shell, make_user("sam", Role.SUPERVISOR))
    assert supervisor.nav_keys() == ["teller", "fraud", "recommendations", "payments", "audit", "approvals"]
    assert supervisor.nav_keys(enabled_only=True) == ["teller", "fraud", "recommendations", "payments", "audit",
                                                      "approvals"]
    live = supervisor.nav.item(supervisor.nav_keys().index("recommendations"))
    assert live.toolTip() == "Recommendations (Ctrl+3)"


def test_a_role_without_available_screens_sees_why(qtbot, services, make_user, monkeypatch):
    awaiting = tuple(replace(s, build=None, awaiting="a test") if s.key == "fraud" else s for s in PAGES)
    monkeypatch.setattr("ui.main_window.PAGES", awaiting)
    window = _login(qtbot, _shell(qtbot, services), make_user("nina", Role.ANALYST))
    assert window.nav_keys() == ["fraud"]
    assert window.nav_keys(enabled_only=True) == []
    assert window.stack.currentWidget() is window.empty_panel


def test_shortcuts_switch_pages(qtbot, services, make_user):
    window = _login(qtbot, _shell(qtbot, services), make_user("sam", Role.SUPERVISOR))
    window.page_actions["audit"].trigger()
    assert window.current_key() == "audit"
    # each page has a fixed Ctrl+N whatever the role (QA R11: Ctrl+3 opened Approvals for a teller)
    assert window.page_actions["audit"].shortcut().toString() == "Ctrl+6"
    assert [window.page_actions[k].shortcut().toString() for k in window.nav_keys()] == [
        "Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+6", "Ctrl+7"]
    assert window.refused_actions["admin"].shortcut().toString() == "Ctrl+5"
    window.page_actions["teller"].trigger()
    assert window.current_key() == "teller"
    assert window.page_actions["recommendations"].isEnabled()


def test_idle_desk_locks_and_unlocks_with_password_and_fresh_code(qtbot, services, make_user, ui_thread_sql):
    services.idle_lock_seconds = 1
    user = make_user("tina", Role.TELLER)
    ui_thread_sql.clear()
    shell = _shell(qtbot, services)
    window = _login(qtbot, shell, user)
    with qtbot.waitSignal(shell.locked, timeout=5000):
        pass
    assert window.locked and window.stack.currentWidget() is window.locked_panel
    assert window.current_key() is None
    dialog = shell.unlock_dialog
    assert "Locked after 1 second without activity" in dialog.reason_label.text()

    qtbot.keyClicks(dialog.password, "not my password")
    qtbot.keyClicks(dialog.code, _next_code(user))
    dialog.submit()
    qtbot.waitUntil(lambda: "password" in dialog.form.field_errors())
    assert window.locked

    dialog.password.clear()
    qtbot.keyClicks(dialog.password, user.password)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not window.locked
    assert window.current_key() == "teller"
    assert ui_thread_sql == []


def test_ctrl_l_locks_and_logout_from_the_lock_returns_to_login(qtbot, services, make_user):
    shell = _shell(qtbot, services)
    window = _login(qtbot, shell, make_user("tina", Role.TELLER))
    window.lock_action.trigger()
    assert window.locked
    with qtbot.waitSignal(shell.logged_out):
        shell.unlock_dialog.logout_button.click()
    assert shell.window is None
    assert shell.login_dialog is not None and shell.login_dialog.isVisible()
    qtbot.addWidget(shell.login_dialog)


def test_lock_and_logout_are_audited(qtbot, services, make_user):
    shell = _shell(qtbot, services)
    window = _login(qtbot, shell, make_user("tina", Role.TELLER))
    window.lock_action.trigger()
    with qtbot.waitSignal(shell.logged_out):
        shell.unlock_dialog.logout_button.click()
    qtbot.addWidget(shell.login_dialog)
    from core.security.roles import SYSTEM_ACTOR

    def actions() -> list[str]:
        return [r.action for r in services.audit.query(services.engine, SYSTEM_ACTOR, user="tina")]

    qtbot.waitUntil(lambda: "logout" in actions())
    assert {"login", "session.lock", "logout"} <= set(actions())
