"""Console-wide: no two Alt+letter mnemonics in one window, on every page and tab each role sees, and in
the dialogs the pages open (a duplicate makes Alt+letter cycle or do nothing: a QA finding on Payments)."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QGroupBox, QLabel, QTabWidget, QWidget

from core.security.roles import Actor, Role
from ui.main_window import MainWindow
from ui.theme import Theme

ROLES = [Actor(name, role, device="desk-test") for name, role in
         (("tina", Role.TELLER), ("ana", Role.ANALYST), ("sam", Role.SUPERVISOR), ("adam", Role.ADMIN))]


def _letter(text: str) -> str | None:
    found = re.search(r"&([^&\s])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def mnemonics(window: QWidget) -> dict[str, list[str]]:
    """letter -> the texts that claim it, among the widgets visible in ``window`` (and its menu bar)."""
    taken: dict[str, list[str]] = {}

    def add(text: str) -> None:
        letter = _letter(text)
        if letter:
            taken.setdefault(letter, []).append(text)

    bar = getattr(window, "menuBar", None)
    if bar is not None and callable(bar):
        for action in window.menuBar().actions():
            add(action.text())
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            add(widget.text())
        elif isinstance(widget, (QAbstractButton, QGroupBox)):
            add(widget.text() if isinstance(widget, QAbstractButton) else widget.title())
    for tabs in window.findChildren(QTabWidget):
        if tabs.isVisible():
            for i in range(tabs.count()):
                add(tabs.tabText(i))
    # Alt+letter keys bound without a visible letter (QShortcut, a widget's QAction): a window-wide one fires
    # whatever shows the same underlined letter (QA2 #27: Alt+P opened "Open an account" under "Place hold").
    for shortcut in window.findChildren(QShortcut):
        owner = shortcut.parent()
        if (shortcut.isEnabled() and isinstance(owner, QWidget) and owner.isVisible() and owner.window() is window
                and shortcut.context() in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)):
            add(_alt_key(shortcut.key().toString(), f"shortcut of {type(owner).__name__}"))
    for widget in [window, *window.findChildren(QWidget)]:
        if widget.isVisible() and widget.window() is window:
            for action in widget.actions():
                if action.isEnabled() and action.shortcutContext() != Qt.ShortcutContext.WidgetShortcut:
                    for key in action.shortcuts():
                        add(_alt_key(key.toString(), f"action {action.text()!r}"))
    return taken


def _alt_key(sequence: str, what: str) -> str:
    """"Alt+P" -> "&P (what)" so it counts like an underlined letter; anything else -> ''."""
    found = re.fullmatch(r"Alt\+([A-Za-z0-9])", sequence)
    return f"&{found.group(1)} ({what}, {sequence})" if found else ""


def duplicates(window: QWidget) -> dict[str, list[str]]:
    return {k: v for k, v in mnemonics(window).items() if len(v) > 1}


def _walk_tabs(qtbot, window, where: str, found: dict, seen: set | None = None) -> None:  # noqa: ANN001
    """Every visible tab page, and the tab pages nested in it (each state a user can reach by tabs)."""
    seen = set() if seen is None else seen
    found.update({f"{where}: {k}": v for k, v in duplicates(window).items()})
    for tabs in [t for t in window.findChildren(QTabWidget) if t.isVisible() and id(t) not in seen]:
        seen.add(id(tabs))
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            QApplication.processEvents()
            _walk_tabs(qtbot, window, f"{where} / {tabs.tabText(i)}", found, seen.copy())


@pytest.mark.parametrize("actor", ROLES, ids=lambda a: a.role.value)
def test_no_duplicate_mnemonics_on_any_page(qtbot, services, bank, actor):
    window = MainWindow(services, actor, Theme())
    qtbot.addWidget(window)
    window.show()
    found: dict[str, list[str]] = {}
    for key in window.nav_keys(enabled_only=True):
        assert window.show_page(key)
        qtbot.wait(20)
        _walk_tabs(qtbot, window, key, found)
    assert found == {}


def _dialogs(services, actor, parent, bank):  # noqa: ANN001, ANN202
    from ui.payments.card_form import CardPaymentDialog
    from ui.teller.confirm import ConfirmDialog
    from ui.teller.customer_dialog import NewCustomerDialog

    yield "card payment", CardPaymentDialog(services, actor, parent)
    yield "confirmation", ConfirmDialog(parent, "Confirm", [("Amount", "$1.00")], "ok", lambda: None)
    yield "new customer", NewCustomerDialog(services, actor, parent)
    from ui.recommendations.dialogs import RejectDialog

    yield "reject recommendation", RejectDialog("promote model v2", parent)
    from ui.teller.standing import AddStandingDialog

    yield "new standing instruction", AddStandingDialog(services, actor, bank[0], "USD", "en_US", parent)


def test_no_duplicate_mnemonics_in_dialogs(qtbot, services, bank):
    parent = QWidget()
    qtbot.addWidget(parent)
    actor = ROLES[2]
    found = {}
    for name, dialog in _dialogs(services, actor, parent, bank):
        assert isinstance(dialog, QDialog)
        dialog.show()
        QApplication.processEvents()
        found.update({f"{name}: {k}": v for k, v in duplicates(dialog).items()})
        dialog.close()
    assert found == {}


def test_the_reject_dialogs_buttons_have_letters(qtbot):
    from ui.recommendations.dialogs import RejectDialog

    dialog = RejectDialog("promote model v2")
    qtbot.addWidget(dialog)
    assert _letter(dialog.ok_button.text()) == "r"  # Alt+R rejects; the reason's label has Alt+S


@pytest.mark.parametrize("actor", ROLES, ids=lambda a: a.role.value)
def test_every_menu_item_has_its_own_letter(qtbot, services, bank, actor):
    """The menus (QA R10: the View menu's page items had no letter): each item a letter, none twice in a menu;
    the items of pages this role may not use say so and need none."""
    window = MainWindow(services, actor, Theme())
    qtbot.addWidget(window)
    for top in window.menuBar().actions():
        items = [a.text() for a in top.menu().actions() if not a.isSeparator() and "not for your role" not in a.text()]
        letters = [_letter(t) for t in items]
        assert None not in letters, (top.text(), items)
        assert len(set(letters)) == len(letters), (top.text(), items)


@pytest.mark.parametrize("actor", ROLES, ids=lambda a: a.role.value)
def test_tab_leaves_every_table(qtbot, services, bank, actor):
    """QA R6: Tab moved from cell to cell inside a table (changing the selection) instead of to its buttons."""
    from PySide6.QtWidgets import QAbstractItemView

    window = MainWindow(services, actor, Theme())
    qtbot.addWidget(window)
    window.show()
    trapped = []
    for key in window.nav_keys(enabled_only=True):
        assert window.show_page(key)
        qtbot.wait(20)
        trapped += [f"{key}: {v.objectName() or type(v).__name__}" for v in window.findChildren(QAbstractItemView)
                    if v.tabKeyNavigation()]
    assert trapped == []


@pytest.mark.parametrize("actor", ROLES[:3], ids=lambda a: a.role.value)
def test_no_duplicate_mnemonics_with_a_customer_open(qtbot, services, bank, actor):
    """QA2 #27: the Teller page with a customer selected shows its panel (Open account…) and every tab's
    form (Holds: Place hold) at once: no letter twice, Alt shortcuts included, on every page after it."""
    window = MainWindow(services, actor, Theme())
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    found: dict[str, list[str]] = {}
    if "teller" in window.nav_keys(enabled_only=True):
        window.show_page("teller")
        page = window.page("teller")
        qtbot.waitUntil(lambda: any(page.model.row_object(r) is not None for r in range(page.model.rowCount())))
        row = next(r for r in range(page.model.rowCount()) if page.model.row_object(r).number == bank[0])
        page.table.selectRow(row)
        qtbot.waitUntil(lambda: page.selected_number == bank[0])
        qtbot.wait(50)
    for key in window.nav_keys(enabled_only=True):
        assert window.show_page(key)
        qtbot.wait(20)
        _walk_tabs(qtbot, window, key, found)
    assert found == {}
