"""Deciding alerts in the console: the dialog checks what the core checks, the money follows, batches give a
result per alert, reassigning needs a note, suppressions from a false positive show and can be ended."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import ANALYST, OTHER
from tests.ui.conftest import fraud_loaded as loaded
from tests.ui.conftest import fraud_select as select


def _dialog(qtbot, queue, outcome: str):  # noqa: ANN001, ANN202
    dialog = queue.decide(outcome)
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    return dialog


def test_confirming_fraud_needs_a_note_then_voids_the_hold(qtbot, services, bank, hold, open_page, ui_thread_sql):
    tid = hold(250_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    queue = page.queue
    select(qtbot, page, tid)
    ui_thread_sql.clear()
    dialog = _dialog(qtbot, queue, "confirmed")
    assert dialog.ok.text() == "Confirm fraud" and dialog.freeze.isVisibleTo(dialog)
    assert not dialog.ok.isEnabled() and "needs a note" in dialog.note_hint.text()  # off until a note is typed
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # nothing sent
    qtbot.keyClicks(dialog.note, "customer did not make this payment")
    dialog.freeze.setChecked(True)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
    assert ui_thread_sql == []
    assert services.ledger.balance(ANALYST, bank[0]).available == 1_000_00
    assert services.ledger.transfer_row(ANALYST, tid)["state"] == "voided"


def test_false_positive_with_a_suppression_posts_and_lists_it(qtbot, services, bank, hold, open_page):
    tid = hold(250_00, counterparty="LANDLORD")
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    dialog = _dialog(qtbot, page.queue, "false-positive")
    assert dialog.ok.text() == "Post payment" and dialog.suppress_box.isVisibleTo(dialog)
    dialog.suppress.setChecked(True)
    dialog.rule.setCurrentIndex(dialog.rule.findData("amount_limit"))
    dialog.scope.setCurrentIndex(dialog.scope.findData("counterparty"))
    dialog.days.setValue(14)
    assert "required" in dialog.note_label.text()  # a suppression says why (core.cases.suppressions)
    assert not dialog.ok.isEnabled() and "Suppressing a rule needs a note" in dialog.note_hint.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # nothing sent
    qtbot.keyClicks(dialog.note, "monthly rent, customer confirmed")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
    assert services.ledger.balance(ANALYST, bank[1]).current == 250_00 + 250_00
    page.tabs.setCurrentWidget(page.suppressions)
    tab = page.suppressions
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=15_000)
    assert tab.model.index(0, 2).data() == "counterparty LANDLORD" and tab.model.index(0, 6).data() == "active"
    tab.table.selectRow(0)
    assert tab.revoke_button.isEnabled()


def test_inconclusive_snoozes_and_escalate_needs_a_note(qtbot, services, hold, open_page):
    first, second = hold(150_00), hold(160_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 2)
    select(qtbot, page, first)
    dialog = _dialog(qtbot, page.queue, "inconclusive")
    assert dialog.snooze_box.isVisibleTo(dialog) and not dialog.freeze.isVisibleTo(dialog)
    dialog.snooze.setChecked(True)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and None not in page.alerts()
                    and any(a.state(a.created_at) == "snoozed" or a.snoozed_until for a in page.alerts()), timeout=15_000)
    select(qtbot, page, second)
    dialog = _dialog(qtbot, page.queue, "escalate")
    assert not dialog.ok.isEnabled() and "Escalating needs a note" in dialog.note_hint.text()
    dialog.submit()  # Ctrl+Enter in the note: refused in place with core's words
    assert "needs a note" in dialog.error.text()
    dialog.reject()


def test_a_batch_decision_reports_each_alert(qtbot, services, hold, open_page):
    ids = [hold(110_00 + i) for i in range(3)]
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 3)
    taken = next(a.id for a in page.alerts() if a.transfer_id == ids[1])
    services.fraud.claim(OTHER, taken)
    page.table.selectAll()
    qtbot.waitUntil(lambda: page.queue.decide_button.text() == "&Decide 3…", timeout=15_000)
    dialog = _dialog(qtbot, page.queue, "false-positive")
    assert dialog.ok.text() == "Post payment (3)" and not dialog.suppress_box.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(page.queue, "last_batch") and page.queue.last_batch.isVisible(), timeout=10_000)
    results = [page.queue.last_batch.model.index(r, 1).data() for r in range(3)]
    assert sorted(results) == ["false positive: payment posted", "false positive: payment posted",
                               "refused: alert #%d is claimed by omar; ask omar to release it, or a supervisor to reassign "
                               "it to you" % taken]
    page.queue.last_batch.accept()


def test_reassigning_asks_for_a_note(qtbot, services, hold, open_page, make_user):
    make_user("omar", "analyst")
    tid = hold()
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    page.queue.claim()
    qtbot.waitUntil(lambda: page.queue.current.alert.assignee == "nina" and page.queue.reassign_button.isEnabled(), timeout=15_000)
    page.queue.reassign()
    qtbot.waitUntil(lambda: hasattr(page.queue, "last_dialog") and page.queue.last_dialog.isVisible(), timeout=15_000)
    dialog = page.queue.last_dialog
    assert dialog.to.currentData() == "omar"
    dialog._submit()
    assert "the note for reassigning an alert" in dialog.error.text() and dialog.isVisible()
    qtbot.keyClicks(dialog.note, "omar knows this customer")
    dialog._submit()
    qtbot.waitUntil(lambda: page.queue.current.alert.assignee == "omar", timeout=10_000)
