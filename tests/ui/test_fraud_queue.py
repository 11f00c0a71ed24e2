"""The fraud queue page: analysts and supervisors see held payments and why; tellers do not get the page."""
from __future__ import annotations

import pytest

from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from ui.main_window import MainWindow
from ui.theme import Theme

ANALYST = Actor("nina", Role.ANALYST, device="desk-test")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")
TELLER = Actor("tina", Role.TELLER, device="desk-test")


@pytest.fixture
def hold(services, bank):
    """hold(id, amount): post from the first bank account through a screen that reviews anything over 100.00."""
    screen = FraudScreen(services.engine, config=FraudConfig(amount_limits={"USD": 100_00}))
    ledger = Ledger(services.engine, screen=screen)

    def post(id_: str, amount: int, counterparty: str | None = None) -> None:
        result = ledger.transfer(SYSTEM_ACTOR, TransferRequest(id=id_, debit=bank[0], credit=bank[1], amount=amount,
                                                               currency="USD", counterparty=counterparty))
        assert result.state == "pending"

    return post


def _window(qtbot, services, actor):  # noqa: ANN001, ANN202
    window = MainWindow(services, actor, Theme())
    qtbot.addWidget(window)
    window.show()
    return window


def _loaded(qtbot, page, rows):  # noqa: ANN001, ANN202
    qtbot.waitUntil(lambda: page.model.rowCount() == rows and all(a is not None for a in page.alerts()))
    return page.alerts()


def test_analyst_sees_the_held_payment_and_its_reasons(qtbot, services, bank, hold, ui_thread_sql):
    hold("held-1", 250_00, counterparty="SHOP-7")
    ui_thread_sql.clear()  # the posting above is the test's own setup
    window = _window(qtbot, services, ANALYST)
    assert window.nav_keys(enabled_only=True) == ["fraud"]
    assert window.current_key() == "fraud"
    page = window.page("fraud")
    assert page.isVisible() and page.timer.isActive()
    [alert] = _loaded(qtbot, page, 1)
    assert alert.transfer_id == "held-1"
    texts = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert texts[2:] == ["$250.00", bank[0], bank[1], "desk", "SHOP-7"]
    assert page.count_label.text() == "1 open alert"

    page.table.selectRow(0)
    assert page.title_label.text() == "Transfer held-1"
    assert page.reasons_label.text().startswith("• amount 250.00 USD is over the limit of 100.00 USD")
    assert page.reasons_label.isVisibleTo(page)
    assert ui_thread_sql == []


def test_refresh_keeps_the_selected_alert_and_stops_while_hidden(qtbot, services, bank, hold):
    hold("held-1", 250_00)
    window = _window(qtbot, services, SUPERVISOR)
    assert "fraud" in window.nav_keys(enabled_only=True)
    assert window.nav_keys(enabled_only=True) == ["teller", "fraud", "payments", "audit"]
    window.show_page("fraud")
    page = window.page("fraud")
    _loaded(qtbot, page, 1)
    page.table.selectRow(0)

    hold("held-2", 300_00)
    window.refresh_action.trigger()  # F5
    alerts = _loaded(qtbot, page, 2)
    assert [a.transfer_id for a in alerts] == ["held-2", "held-1"]
    qtbot.waitUntil(lambda: page.table.selectionModel().selectedRows() != [])
    assert page.table.selectionModel().selectedRows()[0].row() == 1
    assert page.selected.transfer_id == "held-1"

    window.show_page("teller")
    assert not page.timer.isActive()
    window.show_page("fraud")
    assert page.timer.isActive()


def test_teller_does_not_get_the_fraud_queue(qtbot, services, bank, hold):
    hold("held-1", 250_00)
    window = _window(qtbot, services, TELLER)
    assert "fraud" not in window.nav_keys()
    assert not window.show_page("fraud")
    assert "fraud" not in window.page_actions
