"""QA report 2 on the fraud queue: Claim/Decide off (with the reason) when core would refuse, Ctrl+Enter in a note
decides (Enter stays a new line), the alert below is put away once the decision takes it out of the list."""
from __future__ import annotations

from PySide6.QtCore import Qt

from core.cases.dispositions import Decision
from tests.ui.conftest import ANALYST, OTHER, SUPERVISOR
from tests.ui.conftest import fraud_loaded as loaded
from tests.ui.conftest import fraud_select as select


def test_an_escalated_alert_cannot_be_started_by_an_analyst(qtbot, services, hold, open_page):
    """#18: Claim and Decide are off for an analyst on an alert escalated to the supervisors, saying why."""
    escalated, other = hold(150_00), hold(300_00)
    _window, page = open_page(ANALYST)
    alerts = loaded(qtbot, page, 2)
    services.fraud.dispose(OTHER, next(a.id for a in alerts if a.transfer_id == escalated),
                           Decision("escalate", note="large transfer abroad, the customer does not answer"))
    page.queue.refresh()
    detail = select(qtbot, page, escalated)
    qtbot.waitUntil(lambda: page.queue.current.alert.status == "escalated", timeout=15_000)
    queue = page.queue
    assert not queue.claim_button.isEnabled() and not queue.decide_button.isEnabled()
    assert "only a supervisor may claim or decide it" in queue.decide_button.toolTip()
    assert queue.claim_button.toolTip() == queue.decide_button.toolTip()
    services.fraud.claim(OTHER, next(a.id for a in page.alerts() if a.transfer_id == other))
    select(qtbot, page, other)
    qtbot.waitUntil(lambda: page.queue.current.alert.assignee == "omar", timeout=15_000)
    assert not queue.decide_button.isEnabled() and "ask omar to release it" in queue.decide_button.toolTip()
    assert detail.alert.transfer_id == escalated


def test_a_supervisor_is_told_how_to_take_over(qtbot, services, hold, open_page):
    """#19: a supervisor on someone else's alert: Decide is off and says to reassign it to themself."""
    tid = hold(150_00)
    _window, page = open_page(SUPERVISOR)
    page.queue.filters.set_status("active")
    [alert] = loaded(qtbot, page, 1)
    services.fraud.claim(OTHER, alert.id)
    page.queue.refresh()
    select(qtbot, page, tid)
    qtbot.waitUntil(lambda: page.queue.current.alert.assignee == "omar", timeout=15_000)
    queue = page.queue
    assert not queue.decide_button.isEnabled() and queue.reassign_button.isEnabled()
    assert "as a supervisor you may take it over" in queue.decide_button.toolTip()


def test_ctrl_enter_in_the_note_decides_and_enter_is_a_new_line(qtbot, services, hold, open_page):
    """#20 and #21: Enter adds a line to the note, Ctrl+Enter sends the decision; the decided alert leaves the
    list and the detail below says so instead of showing it."""
    tid = hold(250_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    queue = page.queue
    select(qtbot, page, tid)
    queue.detail.setCurrentIndex(1)  # the customer's tab: the message about the alert still shows
    dialog = queue.decide("confirmed")
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    qtbot.keyClicks(dialog.note, "customer did not")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.note, "make this payment")
    assert dialog.isVisible() and dialog.note.toPlainText() == "customer did not\nmake this payment"
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=15_000)
    qtbot.waitUntil(lambda: queue.current is None, timeout=15_000)
    heading = queue.detail.heading.text()
    assert "left this list (closed by nina: confirmed fraud)" in heading and "Alt+N" in heading
    assert not queue.decide_button.isEnabled() and not queue.claim_button.isEnabled()
    assert queue.detail.currentIndex() == 0 and queue.detail.tabText(3) == "Lin&ked"  # no count of a gone alert


def test_ctrl_enter_sends_the_notes_of_other_dialogs(qtbot, services, hold, open_page):
    """#20, every note dialog (``ui.send_dialog.finish``): Ctrl+Enter is OK."""
    tid = hold(250_00)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    dialog = page.queue._raise(tid)
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    qtbot.keyClicks(dialog.edit, "looks odd to me")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.error.text() != "" or not dialog.isVisible(), timeout=15_000)
    assert "already has alert" in dialog.error.text()  # core answered: the note was sent


def test_save_dialogs_start_in_the_documents_folder(qtbot, tmp_path, monkeypatch):
    """#23: a Save/Export dialog starts in the user's Documents folder (platformdirs), then where the user last
    saved; never in the working folder."""
    import platformdirs
    from PySide6.QtWidgets import QFileDialog, QWidget

    from ui import files

    docs, elsewhere = tmp_path / "Documents", tmp_path / "reports"
    docs.mkdir(), elsewhere.mkdir()
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(docs))
    monkeypatch.setattr(files, "_last", [])
    asked = []
    answer = [str(elsewhere / "sar-draft-case-7.pdf")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda _p, _t, start, _f="": (asked.append(start), (answer.pop(0) if answer else "", ""))[1]))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert files.save_file_name(parent, "Save the SAR draft", "sar-draft-case-7.pdf") == str(elsewhere / "sar-draft-case-7.pdf")
    assert asked[-1] == str(docs / "sar-draft-case-7.pdf")
    assert files.save_file_name(parent, "Save drawer report", "drawer-D1-3.pdf") == ""  # cancelled
    assert asked[-1] == str(elsewhere / "drawer-D1-3.pdf")  # where the user saved last
