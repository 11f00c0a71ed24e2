"""Dialogs with a required note or reason keep their action off until it is filled, and say what is required
(QA: the decide dialog's Confirm fraud and Escalate, and the reason dialogs, were clickable with the required
note empty and only a later check refused). One rule for all of them: ``ui.required``."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QApplication

from core.cases.queue import AlertRow
from core.persistence.base import utcnow


def _alert(**kw) -> AlertRow:  # noqa: ANN003
    now = utcnow()
    values = dict(id=7, transfer_id="t-7", created_at=now, score=0.9, band="high", due_at=now + timedelta(hours=4),
                  status="open", assignee="nina", lease_until=None, snoozed_until=None, escalation=None,
                  outcome=None, resolution=None, customer_id=3, customer_name="Ken Green", account="1000000001",
                  beneficiary="1000000002", amount=250_00, currency="USD", channel="online", counterparty="LANDLORD",
                  device=None, rule="amount_limit", rules=("amount_limit",), reasons=("large amount",), case_id=None,
                  closed_at=None, closed_by=None, source="screen")
    values.update(kw)
    return AlertRow(**values)


def _shown(qtbot, dialog):  # noqa: ANN001, ANN202
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    return dialog


def test_the_decide_dialog_keeps_confirm_and_escalate_off_until_a_note(qtbot):
    from ui.fraud.decide import DecideDialog

    dialog = _shown(qtbot, DecideDialog([_alert()]))
    assert not dialog.ok.isEnabled()  # no outcome yet
    for outcome, words in (("confirmed", "Confirming fraud needs a note"), ("escalate", "Escalating needs a note")):
        dialog.buttons[outcome].setChecked(True)
        assert not dialog.ok.isEnabled(), outcome
        assert words in dialog.note_hint.text() and dialog.note_hint.isVisibleTo(dialog)
        assert words in dialog.ok.toolTip() and "(required)" in dialog.note_label.text()
    dialog.buttons["false-positive"].setChecked(True)  # the note is optional: Post payment is on
    assert dialog.ok.isEnabled() and not dialog.note_hint.isVisibleTo(dialog)
    dialog.suppress.setChecked(True)  # a suppression says why
    assert not dialog.ok.isEnabled() and "Suppressing a rule needs a note" in dialog.note_hint.text()
    dialog.note.setPlainText("rent, customer confirmed")
    assert dialog.ok.isEnabled() and not dialog.note_hint.isVisibleTo(dialog)
    dialog.buttons["confirmed"].setChecked(True)
    assert dialog.ok.isEnabled()
    dialog.note.setPlainText("   ")
    assert not dialog.ok.isEnabled()


def test_reason_and_note_dialogs_keep_their_action_off_until_filled(qtbot):
    from ui.fraud.dialogs import CaseChooser, NoteDialog, ReassignDialog
    from ui.recommendations.dialogs import RejectDialog
    from ui.required import reason_missing
    from ui.send_dialog import TextDialog

    reassign = _shown(qtbot, ReassignDialog(_alert(), [("omar", "analyst")]))
    note = _shown(qtbot, NoteDialog("Close case", "Why?", outcomes=(("Fraud", "fraud"),)))
    text = _shown(qtbot, TextDialog("Cancel order", "&Why?", line=True))
    reason = _shown(qtbot, TextDialog("Release hold", "&Why?", line=True,
                                      rule=lambda t: reason_missing(t, "why the hold is released")))
    reject = _shown(qtbot, RejectDialog("Raise the threshold"))
    chooser = _shown(qtbot, CaseChooser([7], []))
    cases = ((reassign, reassign.note, "the note for reassigning an alert", "omar knows this customer"),
             (note, note.note, "A note is required", "the customer confirmed it"),
             (text, text.edit, "Required", "called off"),
             (reason, reason.edit, "at least 10 characters", "the cheque has cleared"),
             (reject, reject.reason, "reason is required", "the threshold is fine as it is"),
             (chooser, chooser.title, "needs a title", "Mule account"))
    for dialog, field, words, filled in cases:
        name = type(dialog).__name__
        assert not dialog.ok_button.isEnabled(), name
        assert words in dialog.hint.text() and dialog.hint.isVisibleTo(dialog), (name, dialog.hint.text())
        assert words in dialog.ok_button.toolTip(), name
        field.setText("x y") if hasattr(field, "setText") else field.setPlainText("x")
        if dialog in (reason, reject, reassign):  # too short for core's rule: still off, the hint says what it needs
            assert not dialog.ok_button.isEnabled() and dialog.hint.text(), name
        field.setText(filled) if hasattr(field, "setText") else field.setPlainText(filled)
        assert dialog.ok_button.isEnabled() and not dialog.hint.isVisibleTo(dialog), name
    chooser.title.clear()
    assert not chooser.ok_button.isEnabled()
    optional = _shown(qtbot, TextDialog("Raise an alert", "&Why?", required=False))
    assert optional.ok_button.isEnabled()


def test_closing_a_drawer_over_the_limit_keeps_sign_off_until_the_note(qtbot, services, bank, teller):
    from ui.teller.amounts import operator_locale
    from ui.teller.drawer_close import CloseDrawerDialog

    session = services.drawers.open(teller, "D1", "USD", {100_00: 5})
    dialog = _shown(qtbot, CloseDrawerDialog(services, teller, session, operator_locale()))
    counts = {d: 0 for d in dialog.grid.edits}
    dialog._send_count(counts)  # noqa: SLF001 - counted nothing: 500.00 short, above the limit
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=15_000)
    assert dialog.result.needs_note
    assert not dialog.close_button.isEnabled() and "at least 10 characters" in dialog.reason_hint.text()
    dialog.note.setText("counted twice, short")
    assert dialog.close_button.isEnabled() and not dialog.reason_hint.isVisibleTo(dialog)


def test_the_decide_dialog_follows_core_reason_rule_and_does_not_escalate_twice(qtbot):
    """QA 7c: "ok", "x" or one long word went through for Confirm fraud and Escalate; Escalate was offered on
    an alert already escalated (core refuses it)."""
    from ui.fraud.decide import DecideDialog
    from ui.fraud.dialogs import NoteDialog

    dialog = _shown(qtbot, DecideDialog([_alert()]))
    for outcome in ("confirmed", "escalate"):
        dialog.buttons[outcome].setChecked(True)
        for short in ("ok", "x", "fraudfraudfraud"):
            dialog.note.setPlainText(short)
            assert not dialog.ok.isEnabled(), (outcome, short)
            assert "at least 10 characters and 2 words" in dialog.note_hint.text()
        dialog.note.setPlainText("card used abroad, customer at home")
        assert dialog.ok.isEnabled() and not dialog.note_hint.isVisibleTo(dialog)
    escalated = _shown(qtbot, DecideDialog([_alert(status="escalated")], outcome="escalate"))
    assert "escalate" not in escalated.buttons and escalated.outcome() is None
    escalated.buttons["confirmed"].setChecked(True)
    assert escalated.outcome() == "confirmed"
    resolve = _shown(qtbot, NoteDialog("Resolve case", "Why?", what="resolving a case"))
    resolve.note.setPlainText("done")
    assert not resolve.ok_button.isEnabled() and "at least 10 characters" in resolve.hint.text()
    resolve.note.setPlainText("two payments to a mule")
    assert resolve.ok_button.isEnabled()
