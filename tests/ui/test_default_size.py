"""At the default window size the lists show what matters (QA): with a customer open the teller's finder kept
its Balance column off-screen behind a sideways scroll, and the fraud queue showed ~6 alerts above a tall
detail pane. Splitters now give their panes shares of the room (``ui.layout.share``), and the finder cuts a
long name (its tooltip holds it whole) before it hides a number or a balance."""
from __future__ import annotations

from core.ledger.money import to_minor
from core.security.roles import SYSTEM_ACTOR
from tests.ui.conftest import ANALYST
from tests.ui.test_teller import _select
from tests.ui.test_teller_fit import TELLER
from ui.main_window import MainWindow
from ui.teller.page import TellerPage
from ui.theme import Theme


def _themed_window(qtbot, qapp, services, actor):  # noqa: ANN001, ANN202
    theme = Theme()
    theme.apply()
    window = MainWindow(services, actor, theme)
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_finder_shows_numbers_and_balances_with_a_customer_open(qtbot, qapp, services, bank):
    ledger = services.ledger
    customer = ledger.add_customer(SYSTEM_ACTOR, "Katherine Montgomery-Hopper")
    account = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD")
    ledger.deposit(SYSTEM_ACTOR, account.number, to_minor("18772.79", "USD"), "USD")
    window = _themed_window(qtbot, qapp, services, TELLER)
    try:
        page = window.findChild(TellerPage)
        qtbot.waitUntil(lambda: page.finder.model.rowCount() > 0)
        _select(qtbot, page, account.number)
        body = page.finder.parentWidget()
        body.setSizes([page.finder.minimumWidth(), body.width()])  # what a customer open left it in the window
        qtbot.wait(100)
        page.finder.table_fit.apply()
        view = page.finder.table
        header = view.horizontalHeader()
        for column in (1, 2):  # Number, Balance: whole and on screen
            right = header.sectionViewportPosition(column) + header.sectionSize(column)
            assert 0 <= header.sectionViewportPosition(column) and right <= view.viewport().width(), column
            model = view.model()
            assert all(view.sizeHintForIndex(model.index(r, column)).width() <= header.sectionSize(column)
                       for r in range(model.rowCount())), column
        assert not view.horizontalScrollBar().isVisible()
    finally:
        qapp.setStyleSheet("")


def test_the_fraud_queue_has_room_for_nine_alerts_above_the_detail(qtbot, qapp, services, hold):
    for amount in range(8):  # the bank's payer holds 1,000.00; the screen reviews above 100.00
        hold(101_00 + amount)
    window = _themed_window(qtbot, qapp, services, ANALYST)
    try:
        window.show_page("fraud")
        page = window.page("fraud")
        qtbot.waitUntil(lambda: page.model.rowCount() == 8 and None not in page.alerts(), timeout=15_000)
        page.table.selectRow(0)
        qtbot.waitUntil(lambda: page.queue.current is not None, timeout=15_000)  # the detail filled in
        qtbot.wait(100)
        rows = page.table.viewport().height() // page.table.verticalHeader().defaultSectionSize()
        assert rows >= 9, rows  # 6 before
        assert page.queue.detail.height() >= 150  # and the detail keeps room to read (it scrolls)
    finally:
        qapp.setStyleSheet("")
