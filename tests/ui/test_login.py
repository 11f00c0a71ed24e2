"""The login dialog with real TOTP codes: sign-in, first-login enrollment, recovery codes, lockout."""
from __future__ import annotations

import pyotp
from PySide6.QtCore import Qt

from core.security.roles import Role
from ui.login.dialog import LoginDialog


def _dialog(qtbot, services):  # noqa: ANN001, ANN202
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot, dialog, username, password, code=""):  # noqa: ANN001
    c = dialog.credentials
    for edit, text in ((c.username, username), (c.password, password), (c.code, code)):
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_sign_in_with_password_and_totp(qtbot, services, make_user, ui_thread_sql):
    user = make_user("tina", Role.TELLER)
    ui_thread_sql.clear()  # the user was made on this thread on purpose; the dialog must use workers
    dialog = _dialog(qtbot, services)
    _type(qtbot, dialog, user.username, user.password, user.code())
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.credentials.code, Qt.Key.Key_Return)
    session = dialog.result_.session
    assert (session.username, session.role) == ("tina", Role.TELLER)
    assert ui_thread_sql == []


def _next_tab_stop(widget):  # noqa: ANN001, ANN202
    """Where Tab moves from ``widget``: the next visible, enabled widget in the chain that takes Tab focus."""
    nxt = widget.nextInFocusChain()
    while not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus and nxt.isVisible() and nxt.isEnabled()):
        nxt = nxt.nextInFocusChain()
    return nxt


def test_tab_order_goes_username_password_code_sign_in(qtbot, services):
    dialog = _dialog(qtbot, services)
    c = dialog.credentials
    assert _next_tab_stop(c.username) is c.password
    assert _next_tab_stop(c.password) is c.code
    assert _next_tab_stop(c.code) is c.sign_in


def test_missing_code_keeps_the_password_step(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    dialog = _dialog(qtbot, services)
    _type(qtbot, dialog, user.username, user.password)
    dialog.submit()
    qtbot.waitUntil(lambda: "code" in dialog.credentials.field_errors())
    assert "6-digit code" in dialog.credentials.field_errors()["code"]
    qtbot.keyClicks(dialog.credentials.code, user.code())
    with qtbot.waitSignal(dialog.accepted):
        dialog.submit()


def test_wrong_code_is_refused_inline(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    wrong = f"{(int(user.code()) + 1) % 1_000_000:06d}"
    dialog = _dialog(qtbot, services)
    _type(qtbot, dialog, user.username, user.password, wrong)
    dialog.submit()
    qtbot.waitUntil(lambda: "code" in dialog.credentials.field_errors())
    assert dialog.result_ is None
    assert dialog.isVisible()


def test_first_login_enrolls_and_shows_recovery_codes_once(qtbot, services, make_user):
    user = make_user("nina", Role.ANALYST, enrolled=False)
    dialog = _dialog(qtbot, services)
    _type(qtbot, dialog, user.username, user.password)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.enrollment)
    page = dialog.enrollment
    assert not page.qr.pixmap().isNull()
    assert page.secret.text().replace(" ", "") == user.secret
    assert page.secret.toolTip().startswith("otpauth://totp/")
    qtbot.keyClicks(page.code, user.code())
    qtbot.keyClick(page.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.recovery)
    codes = dialog.recovery.shown_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not dialog.recovery.done.isEnabled()
    dialog.recovery.stored.setChecked(True)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.recovery.done, Qt.MouseButton.LeftButton)
    assert dialog.recovery.shown_codes() == []
    assert dialog.result_.session.role == Role.ANALYST


def test_enrollment_needs_a_valid_code(qtbot, services, make_user):
    user = make_user("nina", Role.ANALYST, enrolled=False)
    dialog = _dialog(qtbot, services)
    _type(qtbot, dialog, user.username, user.password)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.enrollment)
    other = pyotp.TOTP(pyotp.random_base32()).now()
    qtbot.keyClicks(dialog.enrollment.code, other if other != user.code() else "000000")
    dialog.confirm_enrollment()
    qtbot.waitUntil(lambda: "code" in dialog.enrollment.field_errors())
    assert dialog.current_page() is dialog.enrollment
    # QA 2: enrollment can be left: Back returns to sign-in with nothing saved, and signing in starts it again
    assert dialog.enrollment.back.isVisible()
    dialog.enrollment.back.click()
    assert dialog.current_page() is dialog.credentials and dialog.credentials.password.text() == ""
    _type(qtbot, dialog, user.username, user.password)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.enrollment)


def test_a_wrong_password_says_a_lockout_comes(qtbot, services, make_user):
    """QA 2: the refusal says how many wrong tries lock the account (the same words for an unknown user)."""
    user = make_user("tess", Role.TELLER)
    dialog = _dialog(qtbot, services)
    for name in (user.username, "nobody-here"):
        _type(qtbot, dialog, name, "wrong password", user.code())
        dialog.submit()
        qtbot.waitUntil(lambda: not dialog._busy)
        assert "after 5 wrong tries in a row the account is locked" in dialog.credentials.field_errors()["password"]


def test_five_wrong_passwords_lock_with_the_time(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    dialog = _dialog(qtbot, services)
    for attempt in range(5):
        _type(qtbot, dialog, user.username, f"wrong password {attempt}", user.code())
        dialog.submit()
        qtbot.waitUntil(lambda: not dialog._busy)
    status = dialog.credentials.status.text()
    assert "locked until" in status and "UTC" in status
    _type(qtbot, dialog, user.username, user.password, user.code())
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog._busy)
    assert "locked until" in dialog.credentials.status.text()
    assert dialog.result_ is None


def test_a_code_is_refused_on_reuse(qtbot, services, make_user):
    user = make_user("tina", Role.TELLER)
    code = user.code()
    first = _dialog(qtbot, services)
    _type(qtbot, first, user.username, user.password, code)
    with qtbot.waitSignal(first.accepted):
        first.submit()
    second = _dialog(qtbot, services)
    _type(qtbot, second, user.username, user.password, code)
    second.submit()
    qtbot.waitUntil(lambda: "code" in second.credentials.field_errors())
    assert "already used" in second.credentials.field_errors()["code"]
    assert second.result_ is None
