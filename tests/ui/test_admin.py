"""The admin page: add, disable, re-enable, change role, reset MFA — each through core, shown in the list."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from core.security.roles import Actor, Role
from core.security.users import UserService
from ui.admin.page import AdminPage


def _page(qtbot, services, admin_user, ui_thread_sql=None):  # noqa: ANN001, ANN202
    view = next(u for u in services.users.list_users(Actor("x", Role.ADMIN)) if u.username == admin_user.username)
    if ui_thread_sql is not None:
        ui_thread_sql.clear()  # setup above ran on this thread on purpose; from here on only workers may
    page = AdminPage(services, Actor(view.username, Role.ADMIN, user_id=view.id, device="desk-test"))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    return page


def _select(qtbot, page, username):  # noqa: ANN001
    row = next(i for i, u in enumerate(page.users()) if u.username == username)
    page.table.selectRow(row)
    assert page.selected.username == username


def _user(page, username):  # noqa: ANN001, ANN202
    return next(u for u in page.users() if u.username == username)


def test_add_user_then_change_role_disable_and_enable(qtbot, services, make_user, ui_thread_sql):
    page = _page(qtbot, services, make_user("ann", Role.ADMIN), ui_thread_sql)
    form = page.add_form
    qtbot.keyClicks(form.username, "nina")
    form.role.setCurrentText("analyst")
    qtbot.keyClicks(form.password, "a long passphrase 42")
    qtbot.keyClicks(form.repeat, "a long passphrase 42")
    page.add_user()
    qtbot.waitUntil(lambda: "nina" in [u.username for u in page.users()])
    assert form.status.text().startswith("Added nina (analyst)")
    assert _user(page, "nina").enrolled is False
    qtbot.waitUntil(lambda: page.selected is not None and page.selected.username == "nina")

    page.role.setCurrentText("supervisor")
    page.change_role()
    qtbot.waitUntil(lambda: _user(page, "nina").role == Role.SUPERVISOR)

    page.disable_button.click()
    qtbot.waitUntil(lambda: _user(page, "nina").status == "disabled")
    assert "nina disabled" in page.action_status.text()
    assert page.enable_button.isEnabled() and not page.disable_button.isEnabled()

    page.enable_button.click()
    qtbot.waitUntil(lambda: _user(page, "nina").status == "active")
    assert ui_thread_sql == []


def test_add_user_errors_are_inline(qtbot, services, make_user):
    page = _page(qtbot, services, make_user("ann", Role.ADMIN))
    form = page.add_form
    qtbot.keyClicks(form.username, "ann")
    qtbot.keyClicks(form.password, "short")
    qtbot.keyClicks(form.repeat, "short")
    page.add_user()
    qtbot.waitUntil(lambda: bool(form.field_errors()))
    assert "at least 12 characters" in form.field_errors()["password"]
    form.password.setText("a long passphrase 42")
    form.repeat.setText("a long passphrase 42")
    page.add_user()
    qtbot.waitUntil(lambda: "username" in form.field_errors())
    assert "already exists" in form.field_errors()["username"]


def test_own_account_cannot_be_disabled_or_demoted(qtbot, services, make_user):
    page = _page(qtbot, services, make_user("ann", Role.ADMIN))
    _select(qtbot, page, "ann")
    assert not page.disable_button.isEnabled()
    assert not page.change_role_button.isEnabled()


def test_reset_mfa_asks_first_then_user_enrolls_again(qtbot, services, make_user):
    make_user("tina", Role.TELLER)
    page = _page(qtbot, services, make_user("ann", Role.ADMIN))
    _select(qtbot, page, "tina")
    assert _user(page, "tina").enrolled
    page.reset_mfa()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "Reset two-factor sign-in for tina" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not _user(page, "tina").enrolled)
    assert "enroll again" in page.action_status.text()


def test_last_admin_refusal_is_shown(qtbot, services, make_user):
    admin = make_user("ann", Role.ADMIN)
    services.users = UserService(services.engine, services.audit, hasher=services.users.hasher)
    page = _page(qtbot, services, admin)
    page.actor = Actor("someone-else", Role.ADMIN, user_id=None)  # an admin acting on the only active admin
    _select(qtbot, page, "ann")
    page.disable_button.click()
    qtbot.waitUntil(lambda: page.action_status.property("state") == "error")
    assert "last active administrator" in page.action_status.text()
