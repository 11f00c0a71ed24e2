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
    assert page.title.text().startswith(f"#{rec.id} · promote model v2: average precision")
    assert "Average precision" in page.figures.text() and "card precision@" in page.figures.text()
    assert page.chart.kind == "pr_curve" and len(page.chart.plot.listDataItems()) == 2
    assert "In force: model v1 · default settings" in page.state_label.text()
    assert page.accept_button.isEnabled() and not page.rollback_button.isEnabled()

    asked = []
    page.ask_confirm = lambda text: asked.append(text) or True
    qtbot.mouseClick(page.accept_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text().startswith(f"Accepted #{rec.id}. To undo it"), timeout=10_000)
    assert "applies at once and can be rolled back" in asked[0]
    page.filter.setCurrentIndex(2)  # All
    qtbot.waitUntil(lambda: any(r.id == rec.id and r.status == "accepted" for r in page.recs), timeout=10_000)
    qtbot.waitUntil(lambda: "model v2" in page.state_label.text(), timeout=10_000)
    row = next(i for i, r in enumerate(page.recs) if r.id == rec.id)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.rollback_button.isEnabled(), timeout=5_000)
    page.rollback_button.click()
    qtbot.waitUntil(lambda: page.message.text().startswith(f"Rolled back #{rec.id}"), timeout=10_000)
    qtbot.waitUntil(lambda: "In force: model v1 · default settings" in page.state_label.text(), timeout=10_000)


def test_reject_needs_a_reason(qtbot, page):
    rec = _select(qtbot, page, "drift")
    assert page.chart.kind == "drift" and "PSI" in page.figures.text()
    page.reject_button.click()
    dialog = page.reject_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.reason.setPlainText("seasonal traffic")
    dialog._submit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: page.message.text() == f"Rejected #{rec.id}.", timeout=10_000)
    qtbot.waitUntil(lambda: all(r.id != rec.id for r in page.recs), timeout=10_000)  # gone from the open cards

    from ui.recommendations.dialogs import RejectDialog

    dialog = RejectDialog("x", page)
    qtbot.addWidget(dialog)
    dialog._submit()
    assert "reason is required" in dialog.error.text() and not dialog.result()


def test_retrain_reports_progress_and_refreshes_the_cards(qtbot, page, ui_thread_sql_free):
    before = page.loads
    seen = []
    page.progress.valueChanged.connect(seen.append)
    page.retrain_button.click()
    assert page.progress.isVisible() and page.cancel_button.isVisible() and not page.retrain_button.isEnabled()
    qtbot.waitUntil(lambda: page.message.text().startswith("Retrain #"), timeout=60_000)
    assert "finished" in page.message.text() and seen and max(seen) == 95
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
    qtbot.waitUntil(lambda: page.message.text().startswith(f"Accepted #{rec.id}; Retrain #"), timeout=60_000)
    assert "finished" in page.message.text() and seen and max(seen) == 95
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
    qtbot.waitUntil(lambda: page.message.text() == "Retrain cancelled; nothing changed.", timeout=30_000)
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
