"""The Recommendations page (pytest-qt): cards with evidence charts, accept, reject with a reason, roll back,
retrain with progress; supervisors only; the UI thread never touches the database."""
from __future__ import annotations

import pytest

from core.security.roles import Actor, Role
from tests.ai.stream import seeded
from ui.main_window import MainWindow
from ui.theme import Theme

SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")


@pytest.fixture
def page(qtbot, services):
    seeded(services.engine)
    services.ai.retrain(SUPERVISOR)
    window = MainWindow(services, SUPERVISOR, Theme())
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    assert window.show_page("recommendations")
    page = window.page("recommendations")
    qtbot.waitUntil(lambda: page.loads >= 1 and page.model.rowCount() > 0, timeout=15_000)
    return page


@pytest.fixture
def ui_thread_sql_free(sqlite_engine):
    """Call it to get the SQL statements run on the UI thread since the test started (must be none)."""
    import threading

    from sqlalchemy import event

    main, seen = threading.main_thread(), []

    def record(conn, cursor, statement, *args):  # noqa: ANN001
        if threading.current_thread() is main:
            seen.append(statement)

    event.listen(sqlite_engine, "before_cursor_execute", record)
    yield lambda: list(seen)
    event.remove(sqlite_engine, "before_cursor_execute", record)


def _select(qtbot, page, kind: str):  # noqa: ANN001, ANN202
    row = next(i for i, r in enumerate(page.recs) if r.kind == kind)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.current() is not None and page.current().kind == kind, timeout=5_000)
    return page.current()


def test_cards_show_their_evidence_and_accept_then_roll_back(qtbot, page, services):
    rec = _select(qtbot, page, "promote")
    assert page.title.text().startswith(f"#{rec.id} · promote model v2: catches ")
    assert "Frauds caught within that capacity:" in page.figures.text() and "average precision" in page.figures.text()
    assert "champion" not in page.figures.text() and "card precision@" in page.figures.toolTip()
    assert page.chart.kind == "pr_curve" and len(page.chart.plot.listDataItems()) == 2
    assert "In force: model v1 · default settings" in page.state_label.text()
    assert page.accept_button.isEnabled() and not page.rollback_button.isEnabled()

    asked = []
    page.ask_confirm = lambda text: asked.append(text) or True
    qtbot.mouseClick(page.accept_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text().startswith(f"Accepted #{rec.id}. Roll back undoes it"), timeout=10_000)
    assert "applies at once and can be rolled back" in asked[0]
    # the decided card stays selected (QA R27: the selection jumped to the top card with Accept enabled)
    qtbot.waitUntil(lambda: page.current().status == "accepted", timeout=10_000)
    assert page.current().id == rec.id and not page.accept_button.isEnabled() and page.rollback_button.isEnabled()
    # QA 30: later reloads (the poll, a live event, a load started before the decision) keep it selected
    others = [r for r in page.recs if r.id != rec.id]
    page._loaded((others, services.ai.state(SUPERVISOR), None, page.fingerprint, None))  # a load from before
    page.refresh()
    page.refresh()
    qtbot.wait(500)
    qtbot.waitUntil(lambda: page.current() is not None and page.current().id == rec.id, timeout=10_000)
    assert page.message.text().startswith(f"Accepted #{rec.id}.")
    page.filter.setCurrentIndex(2)  # All
    qtbot.waitUntil(lambda: any(r.id == rec.id and r.status == "accepted" for r in page.recs), timeout=10_000)
    qtbot.waitUntil(lambda: "model v2" in page.state_label.text(), timeout=10_000)
    row = next(i for i, r in enumerate(page.recs) if r.id == rec.id)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.rollback_button.isEnabled(), timeout=5_000)
    questions = []
    page.ask_rollback = lambda text: questions.append(text) or False  # No: nothing happens
    page.rollback_button.click()
    assert "model v1 scores payments again" in questions[0]
    qtbot.wait(300)
    assert services.ai.get(SUPERVISOR, rec.id).status == "accepted"
    page.ask_rollback = lambda text: True
    page.rollback_button.click()
    qtbot.waitUntil(lambda: page.message.text() == f"Rolled back #{rec.id}: model v1 scores payments again.",
                    timeout=10_000)
    qtbot.waitUntil(lambda: "Rolled back by " in page.figures.text(), timeout=10_000)
    assert [line.split(" by ")[0] for line in page.figures.text().splitlines()[-2:]] == ["Accepted", "Rolled back"]
    qtbot.waitUntil(lambda: "In force: model v1 · default settings" in page.state_label.text(), timeout=10_000)


def test_reject_needs_a_reason(qtbot, page):
    rec = _select(qtbot, page, "drift")
    assert page.chart.kind == "drift" and "above 0.2 is a real shift" in page.figures.text()
    assert "_" not in page.title.text() and page.accept_button.text() == "&Accept and retrain"
    page.reject_button.click()
    dialog = page.reject_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.reason.setPlainText("seasonal traffic")
    dialog._submit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: page.message.text() == f"Rejected #{rec.id}.", timeout=10_000)
    qtbot.waitUntil(lambda: page.current().status == "rejected", timeout=10_000)  # still selected, now rejected
    other = next(i for i, r in enumerate(page.recs) if r.id != rec.id)
    page.table.selectRow(other)
    assert page.message.text() == ""  # QA R19: "Rejected #4." stayed under other cards
    # QA4 #3: choosing another card is enough (no reload needed): it leaves Open as an accepted one does
    qtbot.waitUntil(lambda: all(r.id != rec.id for r in page.recs), timeout=10_000)  # gone from the open cards

    from ui.recommendations.dialogs import RejectDialog

    dialog = RejectDialog("x", page)
    qtbot.addWidget(dialog)
    dialog._submit()
    assert "reason is required" in dialog.error.text() and not dialog.result()
    dialog.reason.setPlainText("x")
    dialog._submit()
    assert dialog.error.text().startswith("Say why in a few words") and dialog.ok_button.text() == "&Reject"


def test_retrain_reports_progress_and_refreshes_the_cards(qtbot, page, ui_thread_sql_free):
    before = page.loads
    seen = []
    page.progress.valueChanged.connect(seen.append)
    page.retrain_button.click()
    assert page.progress.isVisible() and page.cancel_button.isVisible() and not page.retrain_button.isEnabled()
    assert page.step.isVisible() and not page.progress.isTextVisible()
    qtbot.waitUntil(lambda: page.run_message.text().startswith("Retrain #"), timeout=60_000)
    assert "finished" in page.run_message.text() and seen and max(seen) == 95
    qtbot.waitUntil(lambda: page.loads > before, timeout=10_000)
    assert page.retrain_button.isEnabled() and not page.progress.isVisible()
    assert ui_thread_sql_free() == []


def test_accepting_a_drift_card_retrains_with_progress(qtbot, page, services, ui_thread_sql_free):
    rec = _select(qtbot, page, "drift")
    asked = []
    page.ask_confirm = lambda text: asked.append(text) or True
    seen = []
    page.progress.valueChanged.connect(seen.append)
    page.accept_button.click()
    assert "It starts a retrain now" in asked[0]
    assert page.progress.isVisible() and page.cancel_button.isVisible() and not page.accept_button.isEnabled()
    qtbot.waitUntil(lambda: page.run_message.text().startswith(f"Accepted #{rec.id}; Retrain #"), timeout=60_000)
    assert "finished" in page.run_message.text() and seen and max(seen) == 95
    assert ui_thread_sql_free() == []
    assert services.ai.last_run(SUPERVISOR)["trigger"] == "drift"  # (the test's own reads, on this thread)
    assert services.ai.get(SUPERVISOR, rec.id).status == "accepted"


def test_cancel_stops_a_retrain(qtbot, page, services, monkeypatch):
    import threading

    gate = threading.Event()
    real = services.ai.retrain

    def slow(actor, progress, **kw):  # noqa: ANN001, ANN003
        def held(done, total, label):  # noqa: ANN001
            progress(done, total, label)
            gate.wait(10)
        return real(actor, progress=held, **kw)

    monkeypatch.setattr(services.ai, "retrain", slow)
    page.retrain_button.click()
    qtbot.waitUntil(lambda: page.progress.maximum() == 100, timeout=10_000)
    page.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: page.run_message.text() == "Retrain cancelled; nothing changed.", timeout=30_000)
    assert services.ai.last_run(SUPERVISOR)["status"] == "cancelled"


def test_only_supervisors_see_the_page(qtbot, services):
    for role in (Role.TELLER, Role.ANALYST, Role.ADMIN):
        window = MainWindow(services, Actor("x", role, device="d"), Theme())
        qtbot.addWidget(window)
        assert "recommendations" not in window.nav_keys()
        assert not window.show_page("recommendations")


def test_a_decision_on_another_desk_reloads_the_cards(qtbot, page, services):
    rec = _select(qtbot, page, "drift")
    before = page.loads
    services.ai.reject(SUPERVISOR, rec.id, "decided on another desk")  # the same bank, another desk's call
    qtbot.waitUntil(lambda: page.loads > before and all(r.id != rec.id for r in page.recs), timeout=10_000)


def test_a_run_started_elsewhere_shows_and_disables_retrain(qtbot, page, services):
    from core.ai import runs

    run_id = runs.start(services.engine, "scheduler", "schedule")  # the schedule, or `qenex ai retrain`
    qtbot.waitUntil(lambda: not page.retrain_button.isEnabled(), timeout=10_000)
    assert page.progress.isVisible() and f"Retrain #{run_id} is running (started on the schedule at" in page.step.text()
    page.retrain_button.setEnabled(True)  # even if clicked: a refusal is not "failed"
    page.retrain()
    qtbot.waitUntil(lambda: page.run_message.text().startswith("A retrain is already running"), timeout=10_000)
    assert "failed" not in page.run_message.text()
    runs._finish(services.engine, run_id, "cancelled", {"error": "Cancelled:"})
    qtbot.waitUntil(lambda: page.run_label.text().endswith("was cancelled."), timeout=10_000)  # a live event
    assert page.retrain_button.isEnabled() and not page.progress.isVisible()
    assert page.run_label.text().startswith(f"Last retrain #{run_id}, started on the schedule at ")
    assert page.run_label.text().endswith("was cancelled.")


def test_no_card_selected_shows_a_hint_not_empty_axes(qtbot, page):
    from PySide6.QtCore import QModelIndex

    page.table.setCurrentIndex(QModelIndex())
    page._show(-1)
    assert not page.chart.isVisibleTo(page) and page.hint.isVisibleTo(page)
    assert page.hint.text().startswith("Select a recommendation")
    _select(qtbot, page, "promote")
    assert page.chart.isVisibleTo(page) and not page.hint.isVisibleTo(page)


def test_tab_leaves_the_cards_table_for_the_buttons(qtbot, page):
    from PySide6.QtCore import Qt

    rec = _select(qtbot, page, "promote")
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)
    assert not page.table.hasFocus() and page.current().id == rec.id


def test_a_card_whose_model_is_gone_is_out_of_date(qtbot, page, services):
    from tests.ai.stream import dispositions

    dispositions(services.engine, per_day=20, days=10)
    services.ai.retrain(SUPERVISOR)
    page.refresh()
    qtbot.waitUntil(lambda: any(r.kind == "threshold" for r in page.recs), timeout=15_000)
    promote = next(r for r in page.recs if r.kind == "promote")
    services.ai.accept(SUPERVISOR, promote.id)  # on another desk: model v2 scores payments now
    rec = _select(qtbot, page, "threshold")
    qtbot.waitUntil(lambda: page.current().stale is not None, timeout=15_000)
    assert not page.accept_button.isEnabled() and page.reject_button.isEnabled()
    assert page.figures.text().startswith("Out of date: computed for model v")
    assert page.accept_button.toolTip() == page.current().stale and rec.kind == "threshold"


def test_a_change_from_another_process_reloads_without_live_updates(qtbot, page, services):
    """SQLite's bus is this process's: the command line's rollback reaches the page through the poll."""
    from core.persistence.db import make_engine

    page.poll.setInterval(200)
    if not page.poll.isActive():
        pytest.skip("live updates reach this desk")
    rec = _select(qtbot, page, "drift")
    other = make_engine(services.engine.url.render_as_string(hide_password=False))
    try:
        from core.ai.service import AiDesk

        AiDesk(other).reject(SUPERVISOR, rec.id, "rejected from the command line")
    finally:
        other.dispose()
    qtbot.waitUntil(lambda: any(r.id == rec.id and r.status == "rejected" for r in page.recs)
                    or all(r.id != rec.id for r in page.recs), timeout=10_000)


def test_charts_label_their_axes_date_the_terminals_days_and_name_bins(qtbot):
    from datetime import datetime, timezone

    from core.ai import words
    from core.ai.store import Rec
    from ui.recommendations.evidence import EvidenceChart

    now = datetime.now(timezone.utc)

    def rec(kind: str, subject: str, ev: dict) -> Rec:
        return Rec(1, 1, kind, subject, "t", {}, ev, "open", now, None, None, None, None, None, None, None)

    chart = EvidenceChart()
    qtbot.addWidget(chart)
    day0 = int(now.timestamp()) // 86400 * 86400 - 37 * 86400
    daily = [[day0 + k * 86400, 0, 0] for k in range(38)]
    daily[33][1:], daily[35][1:] = [12, 5], [4, 2]
    assert chart.draw(rec("terminal", "T3", {"chart": "terminal", "daily": daily}))
    ticks = [t for _x, t in chart.plot.getAxis("bottom")._tickLevels[0]]
    assert {f"{datetime.fromtimestamp(daily[i][0], timezone.utc):%d %b}" for i in (33, 35)} <= set(ticks)
    assert chart.plot.getAxis("left").labelText == "payments a day"
    edges = [81000.0, 120000.0]
    assert chart.draw(rec("drift", "amount", {"chart": "drift", "psi": 6.79, "edges": edges, "last_week": [0.3] * 3,
                                              "this_week": [0.1, 0.2, 0.7]}))
    assert [t for _x, t in chart.plot.getAxis("bottom")._tickLevels[0]] == words.bins("amount", edges)
    assert "e+" not in "".join(words.bins("amount", edges)) and chart.plot.getAxis("bottom").labelText == "payment amount"
    # QA 31: a share's axis ends at 100 %, the last bar is whole, the title is short enough not to be cut
    (x0, x1), (_y0, y1) = chart.plot.getViewBox().viewRange()
    assert y1 <= 100 and x0 <= -0.6 and x1 >= 2.6 and len(chart.plot.plotItem.titleLabel.text) < 60
    assert not chart.draw(None)


def test_while_a_run_runs_the_empty_pane_says_so_and_the_run_is_named_once(qtbot, services):
    from core.ai import runs

    window = MainWindow(services, SUPERVISOR, Theme())
    qtbot.addWidget(window)
    window.show()
    assert window.show_page("recommendations")
    page = window.page("recommendations")
    qtbot.waitUntil(lambda: page.loads >= 1, timeout=15_000)
    assert page.recs == [] and page.hint.text().startswith("No open recommendations. Retrain now")
    assert page.run_label.text() == "No retrain yet."
    run_id = runs.start(services.engine, "scheduler", "schedule")
    qtbot.waitUntil(lambda: not page.retrain_button.isEnabled(), timeout=10_000)
    assert page.hint.text() == "A retrain is running; its recommendations appear here when it finishes."
    assert "Retrain to get" not in page.hint.text()
    named = [w.text() for w in (page.step, page.run_label, page.run_message, page.hint) if w.isVisibleTo(page)]
    assert sum(f"#{run_id}" in t for t in named) == 1  # beside the progress bar only
    assert not page.run_label.isVisibleTo(page)
    runs._finish(services.engine, run_id, "failed", {"error": "nothing to learn from"})
    qtbot.waitUntil(lambda: page.run_label.isVisibleTo(page), timeout=10_000)
    assert page.run_label.text().startswith(f"Last retrain #{run_id}") and "failed" in page.run_label.text()
    assert page.hint.text().startswith("No open recommendations")
    page.filter.setCurrentIndex(1)  # Decided
    qtbot.waitUntil(lambda: page.hint.text().startswith("No recommendations under this filter"), timeout=10_000)
