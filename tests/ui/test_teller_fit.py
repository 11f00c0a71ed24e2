"""The teller page fits the default window (issue 10 layout faults): every tab of the workspace is
visible without the tab bar's scroll arrows (Outgoing was hidden behind them)."""
from __future__ import annotations

from core.security.roles import Actor, Role
from ui.main_window import MainWindow
from ui.teller.page import TellerPage
from ui.theme import Theme

TELLER = Actor("tina", Role.TELLER, device="desk-test")


def test_every_teller_tab_is_visible_in_the_default_window(qtbot, qapp, services, bank):
    theme = Theme()
    theme.apply()  # the style sheet's tab padding is what made them overflow
    window = MainWindow(services, TELLER, theme)
    qtbot.addWidget(window)
    window.show()
    page = window.findChild(TellerPage)
    qtbot.waitUntil(lambda: page.isVisible() and page.tabs.width() > 0)
    bar = page.tabs.tabBar()
    assert bar.count() >= 8
    needed = sum(bar.tabSizeHint(i).width() for i in range(bar.count()))
    try:
        assert needed <= page.tabs.width(), (needed, page.tabs.width())
    finally:
        qapp.setStyleSheet("")
