"""Cases and charts in the console: a case made from the queue, noted, given a file, resolved, its SAR draft
saved; charts redraw from coalesced data, once per tick however many changes arrive."""
from __future__ import annotations

from core.cases.dispositions import Decision
from tests.ui.conftest import ANALYST
from tests.ui.conftest import fraud_loaded as loaded


def test_a_case_from_the_queue_to_its_sar_draft(qtbot, services, hold, open_page, tmp_path, ui_thread_sql):
    tids = [hold(150_00), hold(200_00)]
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 2)
    page.table.selectAll()
    page.queue.add_to_case()
    qtbot.waitUntil(lambda: hasattr(page.queue, "last_dialog") and page.queue.last_dialog.isVisible(), timeout=15_000)
    chooser = page.queue.last_dialog
    chooser._submit()
    assert "needs a title" in chooser.error.text()
    chooser.title.setText("Two payments to one beneficiary")
    chooser._submit()
    qtbot.waitUntil(lambda: page.tabs.currentWidget() is page.cases, timeout=15_000)
    tab = page.cases
    qtbot.waitUntil(lambda: tab.current is not None and len(tab.current.alerts) == 2, timeout=15_000)
    assert tab.title.text().endswith("Two payments to one beneficiary")
    tab.note.setPlainText("same beneficiary opened last week")
    tab.add_note()
    qtbot.waitUntil(lambda: tab.current.case.status == "investigating", timeout=15_000)
    evidence = tmp_path / "call.txt"
    evidence.write_text("customer call, 10:02")
    tab.attach(str(evidence))
    qtbot.waitUntil(lambda: len(tab.current.files) == 1, timeout=15_000)
    assert not tab.buttons["sar"].isEnabled()  # no confirmed fraud yet
    ids = [a.id for a in tab.current.alerts]
    ui_thread_sql.clear()
    services.fraud.dispose_many(ANALYST, ids, Decision("confirmed", note="mule account confirmed"))  # (another desk)
    ui_thread_sql.clear()
    tab.refresh()
    qtbot.waitUntil(lambda: tab.current.case.open_alerts == 0 and tab.buttons["sar"].isEnabled(), timeout=15_000)
    target = tmp_path / "sar.pdf"
    tab.sar(str(target))
    qtbot.waitUntil(target.exists, timeout=10_000)
    assert target.read_bytes().startswith(b"%PDF")
    saved = tmp_path / "copy.txt"
    tab.save(str(saved))
    qtbot.waitUntil(saved.exists, timeout=15_000)
    assert saved.read_text() == "customer call, 10:02"
    assert ui_thread_sql == [] and tids


def test_charts_redraw_once_per_tick_from_coalesced_data(qtbot, services, hold, open_page):
    hold()
    _window, page = open_page(ANALYST)
    page.tabs.setCurrentWidget(page.charts)
    charts = page.charts
    qtbot.waitUntil(lambda: charts.redraws == 1, timeout=10_000)
    assert sum(n for _, n in charts.data.hourly) == 1 and charts.data.review_threshold == 0.5
    # QA4 #10: the footer counts say what they count, the same way as the charts they sum
    assert "0 decisions in 7 days (any outcome, per analyst above)" in charts.note.text()
    assert "0 alerts closed as fraud or false positive in 30 days" in charts.note.text()
    for _ in range(20):
        charts.mark_stale()  # twenty changes arrive
    charts.tick()
    qtbot.waitUntil(lambda: charts.redraws == 2, timeout=15_000)
    charts.tick()
    qtbot.wait(200)
    assert charts.redraws == 2  # nothing changed since: no query, no redraw
