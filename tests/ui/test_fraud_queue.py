"""The fraud queue page: columns, times in the operator's zone, the alert in full, Next/claim/release, live
updates from other desks, and who gets the page."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from core.cases.queue import AlertFilter
from tests.ui.conftest import ANALYST, OTHER, SUPERVISOR, TELLER
from tests.ui.conftest import fraud_loaded as loaded
from tests.ui.conftest import fraud_select as select


def test_the_analyst_sees_the_queue_and_the_alert_in_full(qtbot, services, bank, hold, open_page, ui_thread_sql,
                                                          monkeypatch):
    monkeypatch.setenv("QENEX_TIMEZONE", "Asia/Tokyo")
    from app import zone

    zone._zone.cache_clear()
    hold(250_00, counterparty="SHOP-7", channel="online", device="laptop-9")
    ui_thread_sql.clear()
    window, page = open_page(ANALYST)
    assert window.nav_keys(enabled_only=True) == ["fraud"] and page.timer.isActive()
    [alert] = loaded(qtbot, page, 1)
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    assert headers[:4] == ["Alert", "Raised (JST)", "Age", "SLA"] and "Customer" in headers and "Why" in headers
    cells = {h: page.model.index(0, c).data() for c, h in enumerate(headers)}
    assert cells["Customer"] == "Ada Lovelace" and cells["Amount"] == "$250.00" and cells["Account"] == bank[0]
    tokyo = alert.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert cells["Raised (JST)"] == f"{tokyo:%Y-%m-%d %H:%M}"
    assert cells["SLA"].startswith("due in ") and cells["Status"] == "open"
    assert "Asia/Tokyo" in page.queue.count_label.text()
    detail = select(qtbot, page, alert.transfer_id)
    panel = page.queue.detail
    assert panel.amount.text() == "$250.00" and "over the limit" in panel.reasons.text()
    assert "counterparty SHOP-7" in panel.route.text() and "Transfer pending" in panel.route.text()
    assert "Ada Lovelace" in panel.profile.text()
    assert any(i.kind == "alert" for i in detail.activity) and panel.normal.rowCount() == 8
    assert panel.tabText(2).startswith("Against habi&ts")
    assert panel.events.rowCount() == 1  # raised
    assert ui_thread_sql == []
    zone._zone.cache_clear()


def test_next_claim_release_and_someone_elses_claim(qtbot, services, hold, open_page, ui_thread_sql):
    first, second = hold(150_00), hold(300_00)
    window, page = open_page(ANALYST)
    loaded(qtbot, page, 2)
    queue = page.queue
    qtbot.mouseClick(queue.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.current is not None and queue.current.alert.assignee == "nina", timeout=15_000)
    assert queue.release_button.isEnabled() and not queue.claim_button.isEnabled()
    qtbot.mouseClick(queue.release_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.current.alert.assignee is None, timeout=15_000)
    other_id = next(a.id for a in page.alerts() if a.transfer_id == second)
    services.fraud.claim(OTHER, other_id)  # another desk (the test's own SQL)
    ui_thread_sql.clear()
    select(qtbot, page, first)
    queue.claim()
    qtbot.waitUntil(lambda: queue.current.alert.assignee == "nina", timeout=15_000)
    queue.filters.assignee.setCurrentIndex(queue.filters.assignee.findData("me"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.alerts()[0] is not None, timeout=15_000)
    assert page.alerts()[0].transfer_id == first
    assert ui_thread_sql == []


def test_filters_sort_and_bad_amounts(qtbot, services, hold, open_page):
    hold(150_00, channel="card")
    hold(600_00, channel="online")
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 2)
    filters = page.queue.filters
    filters.channel.setCurrentIndex(filters.channel.findData("online"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.alerts()[0] is not None, timeout=15_000)
    filters.channel.setCurrentIndex(0)
    qtbot.keyClicks(filters.min_amount, "ten")
    qtbot.waitUntil(lambda: filters.min_amount.property("invalid") is True, timeout=15_000)
    assert "not an amount" in filters.min_amount.toolTip()
    filters.min_amount.clear()
    qtbot.keyClicks(filters.min_amount, "500")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.alerts()[0] is not None
                    and page.alerts()[0].amount == 600_00, timeout=15_000)
    filters.min_amount.clear()
    page.model.sort(9)  # the Amount header
    qtbot.waitUntil(lambda: page.queue.filter.sort == "amount" and page.model.rowCount() == 2
                    and None not in page.alerts() and page.alerts()[0].amount == 600_00, timeout=15_000)


def test_an_alert_raised_on_another_desk_appears_without_refresh(qtbot, services, hold, open_page):
    hold()
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    hold(300_00)  # as if another desk posted it
    page.watcher.poll()
    loaded(qtbot, page, 2)


def test_supervisors_start_on_escalations_and_tellers_get_no_page(qtbot, services, hold, open_page):
    tid = hold()
    alert_id = services.fraud.alerts(SUPERVISOR, AlertFilter(status="all"))[0].id
    from core.cases.dispositions import Decision

    services.fraud.dispose(ANALYST, alert_id, Decision("escalate", note="beneficiary abroad, new device"))
    window, page = open_page(SUPERVISOR)
    assert page.queue.filter.status == "supervise"  # QA4 #4: escalated or overdue
    assert [a.transfer_id for a in loaded(qtbot, page, 1)] == [tid]
    window.close()
    from ui.main_window import MainWindow
    from ui.theme import Theme

    teller_window = MainWindow(services, TELLER, Theme())
    qtbot.addWidget(teller_window)
    assert "fraud" not in teller_window.nav_keys() and not teller_window.show_page("fraud")


def test_the_payers_account_opens_read_only(qtbot, services, bank, hold, open_page):
    tid = hold()
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    assert page.queue.account_button.isEnabled()
    with qtbot.waitSignal(page.queue.account_requested):
        qtbot.mouseClick(page.queue.account_button, Qt.MouseButton.LeftButton)
    [window] = page.account_windows
    assert window.money_tabs() == [] and not window.page.new_customer_button.isVisible()
    qtbot.waitUntil(lambda: window.page.selected_number == bank[0], timeout=15_000)
    window.close()


def test_session_lock_frees_the_analysts_claims(services, hold):
    tid = hold()
    alert_id = services.fraud.alerts(ANALYST)[0].id
    services.fraud.claim(ANALYST, alert_id)
    services.users.lock(ANALYST, "manual")
    assert services.fraud.alert(ANALYST, alert_id).assignee is None and tid
