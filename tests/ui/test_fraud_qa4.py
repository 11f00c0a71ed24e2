"""QA4 #11: deciding several alerts at once says first which of them core will refuse (escalated ones for an
analyst, ones someone else holds); the results dialog shows a long refusal whole."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from core.persistence.base import utcnow
from core.security.roles import Actor, Role
from ui.fraud.dialogs import refusals_ahead

ANNA = Actor("anna", Role.ANALYST)
SAM = Actor("sam", Role.SUPERVISOR)


def _alert(alert_id, status="open", assignee=None):  # noqa: ANN001, ANN202
    lease = utcnow() + timedelta(minutes=30) if assignee else None
    return SimpleNamespace(id=alert_id, status=status, assignee=assignee, lease_until=lease)


def test_the_batch_confirmation_names_the_alerts_that_will_be_refused():
    alerts = [_alert(1), _alert(2, "escalated"), _alert(3, "escalated"), _alert(4, assignee="bob")]
    words = refusals_ahead(ANNA, alerts)
    assert words.startswith("3 of the 4 selected will be refused")
    assert "#2, #3 were escalated: only a supervisor decides them" in words and "#4 is claimed by someone else" in words
    assert words.endswith("applies to the other 1.")
    assert refusals_ahead(SAM, alerts[:3]) == ""  # a supervisor decides escalated ones
    assert refusals_ahead(ANNA, alerts[:1]) == ""  # one alert: its Decide button already says why


def test_batch_results_show_a_long_refusal_whole(qtbot):
    from core.cases.errors import NeedsSupervisor
    from ui.fraud.dialogs import BatchResults

    err = NeedsSupervisor("alert #7 was escalated to a supervisor; only a supervisor may claim or decide it; "
                          "ask a supervisor to take it, or pick the alerts that are still open and decide those")
    dialog = BatchResults([7], [err], None)
    qtbot.addWidget(dialog)
    dialog.show()
    view = dialog.findChild(__import__("PySide6.QtWidgets", fromlist=["QTableView"]).QTableView)
    qtbot.waitUntil(lambda: view.rowHeight(0) > view.verticalHeader().defaultSectionSize())  # wrapped, not cut


def test_the_warning_sits_under_the_dialogs_heading(qtbot):
    from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

    from ui.fraud.dialogs import warn_refusals

    dialog = QDialog()
    qtbot.addWidget(dialog)
    QVBoxLayout(dialog).addWidget(QLabel("2 alerts, $30.00 in all; each is decided on its own"))
    warn_refusals(dialog, ANNA, [_alert(1), _alert(2, "escalated")])
    assert dialog.layout().itemAt(1).widget() is dialog.refusals and "#2 was escalated" in dialog.refusals.text()
