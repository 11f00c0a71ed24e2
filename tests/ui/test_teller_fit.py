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


def test_accounts_show_four_rows_and_hold_columns_fit_their_text(qtbot, services, bank):
    """QA3 #6: the customer's accounts table showed about 2.5 rows; the holds table cut "Placed by"."""
    from tests.ui.test_teller import _page, _select
    from tests.ui.test_teller_flows import _place

    page = _page(qtbot, services, Actor("sam", Role.SUPERVISOR, device="desk-test"))
    table = page.customer_panel.accounts
    rows_room = table.maximumHeight() - table.horizontalHeader().sizeHint().height() - 2 * table.frameWidth()
    assert rows_room >= 4 * table.verticalHeader().defaultSectionSize()
    _select(qtbot, page, bank[0])
    holds = page.holds_panel
    holds.amount.setText("10")
    _place(qtbot, holds)
    qtbot.waitUntil(lambda: holds.model.rowCount() == 1)
    placed_by = 3
    assert holds.table.columnWidth(placed_by) >= holds.table.sizeHintForColumn(placed_by)
