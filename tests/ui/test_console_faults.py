"""Faults found by trying the console as a new user would: each stays fixed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel

from core.security.roles import Actor, Role
from core.security.sessions import UserView
from ui.admin.page import USER_COLUMNS, locked_now
from ui.dates import OptionalDateEdit, plural
from ui.login.dialog import LoginDialog
from ui.main_window import MainWindow
from ui.theme import Theme


def _activate(qtbot, widget) -> None:  # noqa: ANN001
    """Make ``widget`` the active window (offscreen, activation needs asking for explicitly)."""
    QApplication.setActiveWindow(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def test_ctrl_q_quits_from_the_sign_in_window(qtbot, services):
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    _activate(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.credentials.username, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_login_mnemonics_move_focus(qtbot, services):
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    _activate(qtbot, dialog)
    dialog.credentials.username.setFocus()
    qtbot.keyClick(dialog.credentials.username, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.credentials.password.hasFocus())
    assert dialog.credentials.username.text() == ""


def test_a_wrong_password_grows_the_dialog_instead_of_squeezing_the_field(qtbot, services):
    dialog = LoginDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    height = dialog.credentials.password.height()
    dialog.credentials.set_error("password", "wrong username or password, and a long explanation that wraps "
                                             "onto a second line of text under the field")
    qtbot.wait(50)
    assert dialog.credentials.password.height() >= height
    error = dialog.credentials.errors["password"]
    assert error.height() >= error.heightForWidth(error.width())


def test_f1_lists_shortcuts_in_aligned_columns(qtbot, services):
    window = MainWindow(services, Actor("tina", Role.TELLER), Theme())
    qtbot.addWidget(window)
    window._show_shortcuts()
    dialog = window.shortcuts_dialog
    keys = [w for w in dialog.findChildren(QLabel) if w.objectName() == "shortcutKey"]
    assert len(keys) == len(dialog.rows) and all("\t" not in w.text() for w in keys)
    assert ("Ctrl+Q", "Quit") in dialog.rows


def test_lock_panel_text_is_short_and_whole(qtbot, services):
    window = MainWindow(services, Actor("tina", Role.TELLER), Theme())
    qtbot.addWidget(window)
    text = " ".join(w.text() for w in window.locked_panel.findChildren(QLabel))
    assert "code to continue" not in text and text.startswith("Desk locked")


def test_calendar_of_an_empty_date_opens_on_this_month(qtbot):
    edit = OptionalDateEdit()
    qtbot.addWidget(edit)
    edit.show()
    _activate(qtbot, edit)
    arrow = QPoint(edit.width() - 8, edit.height() // 2)
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=arrow)  # the drop-down arrow opens the calendar
    calendar = edit.calendarWidget()
    today = QDate.currentDate()
    qtbot.waitUntil(lambda: calendar.isVisible())
    assert (calendar.yearShown(), calendar.monthShown()) == (today.year(), today.month())
    assert calendar.selectedDate() == today  # today is marked, not the 1st (QA #24)
    assert edit.value() is None  # only the page turned, not the value
    popup = calendar.window()
    assert popup.height() >= calendar.sizeHint().height()  # the sixth week row is not cut


def test_plural_wording():
    assert plural(1, "newer entry", "newer entries") == "1 newer entry"
    assert plural(3, "newer entry", "newer entries") == "3 newer entries"


def test_an_expired_lockout_is_not_shown_as_active():
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    future = datetime.now(timezone.utc) + timedelta(minutes=5)
    make = lambda until: UserView(1, "tom", Role.TELLER, "active", True, until, 0, past, None)  # noqa: E731
    locked_until = next(c for c in USER_COLUMNS if c.title == "Locked until")
    assert locked_until.value(make(past)) == "—" and not locked_now(make(past))
    assert locked_until.value(make(future)) != "—" and locked_now(make(future))


def test_an_alt_letter_that_matches_no_mnemonic_types_nothing(qtbot, services, bank, teller):
    from tests.ui.test_teller import _page
    from ui.keys import guard_alt_letters

    guard_alt_letters()
    page = _page(qtbot, services, teller)
    _activate(qtbot, page)
    page.finder.search.setFocus()
    qtbot.keyClick(page.finder.search, Qt.Key.Key_Z, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(page.finder.search, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # Transfer tab hidden
    qtbot.keyClicks(page.finder.search, "ada")
    assert page.finder.search.text() == "ada"
    page.finder.search.setFocus()
    qtbot.keyClick(page.finder.search, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert page.tabs.currentIndex() == 1  # Ctrl+Tab switches tabs from anywhere on the page
