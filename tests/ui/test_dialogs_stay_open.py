"""Dialogs that change something stay open until core accepts (ui.send_dialog): a refusal from core is shown
in the dialog and what was typed is kept; the worker's answer comes back through signals, never SQL on the
UI thread. Fraud decisions, case notes, hold releases, recommendation rejections."""
from __future__ import annotations

from PySide6.QtCore import Qt

from core.cases.dispositions import Decision
from core.security.roles import Actor, Role
from tests.ui.conftest import ANALYST, OTHER
from tests.ui.conftest import fraud_loaded as loaded
from tests.ui.conftest import fraud_select as select
from tests.ui.test_teller import _page
from ui.teller.page import TellerPage

NOTE = "customer did not make this payment; called at 10:02"


def test_a_refused_decision_keeps_the_dialog_and_the_note(qtbot, services, hold, open_page, ui_thread_sql):
    tid = hold(250_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    alert_id = page.queue.current.alert.id
    dialog = page.queue.decide("confirmed")
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    qtbot.keyClicks(dialog.note, NOTE)
    services.fraud.dispose(OTHER, alert_id, Decision("false-positive"))  # another desk decides it meanwhile
    ui_thread_sql.clear()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.text() != "" and dialog.ok.isEnabled(), timeout=15_000)
    assert dialog.isVisible() and dialog.note.toPlainText() == NOTE  # nothing typed is lost
    assert "closed" in dialog.error.text() or "decided" in dialog.error.text(), dialog.error.text()
    assert ui_thread_sql == []


def test_an_accepted_decision_closes_the_dialog(qtbot, services, bank, hold, open_page):
    tid = hold(250_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    dialog = page.queue.decide("confirmed")
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    qtbot.keyClicks(dialog.note, NOTE)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and not dialog.ok.isEnabled()  # open while core works
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=15_000)


def test_a_refused_case_note_stays_in_its_dialog(qtbot, services, hold, open_page):
    tid = hold(150_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    case = services.fraud.cases.open(ANALYST, "One payment", [page.queue.current.alert.id])
    tab = page.cases
    page.tabs.setCurrentWidget(tab)
    tab.open_case(case.id)
    qtbot.waitUntil(lambda: tab.current is not None and tab.current.case.id == case.id, timeout=15_000)
    tab.resolve()
    dialog = tab.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    dialog.note.setPlainText("the customer confirmed the payment")
    dialog._submit()  # core refuses: the case's alert is still open
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=15_000)
    assert dialog.isVisible() and dialog.note.toPlainText() == "the customer confirmed the payment"
    assert "open alert" in dialog.error.text()


def test_a_refused_hold_release_keeps_its_dialog_and_note(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    qtbot.keyClicks(page.finder.search, bank[0])
    qtbot.waitUntil(lambda: page.selected_number == bank[0])
    holds = page.holds_panel
    page.tabs.setCurrentWidget(holds)
    holds.amount.setText("150")
    holds.note.setText("customer disputes a card payment")
    holds.place()
    qtbot.waitUntil(lambda: holds.model.rowCount() == 1)
    hold = holds.holds()[0]
    boss = TellerPage(services, Actor("sam", Role.SUPERVISOR, device="desk-2"))
    qtbot.addWidget(boss)
    boss.show()
    qtbot.keyClicks(boss.finder.search, bank[0])
    qtbot.waitUntil(lambda: boss.holds_panel.model.rowCount() == 1)
    boss.holds_panel.table.selectRow(0)
    boss.holds_panel.release_selected()
    dialog = boss.holds_panel.release_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.edit, "resolved with the customer")
    services.approvals.request_hold_release(teller, hold.id, "asked first by the teller")  # the teller asked meanwhile
    [request] = services.approvals.list(Actor("sue", Role.SUPERVISOR))
    services.approvals.approve(Actor("sue", Role.SUPERVISOR), request.id)  # released at another desk
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=15_000)
    assert dialog.isVisible() and dialog.text() == "resolved with the customer"
    assert "released" in dialog.error.text()
