"""Issue 8 §8 in the console: while the worker retries a lost database, the status bar and the form say
"database unreachable, retrying"; when it gives up the form shows the typed error inline (never an
"Unexpected error" box) and keeps the transfer's id, so trying again never posts twice."""
from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy.exc import OperationalError

from app.services import Health
from core.ledger.service import Ledger
from ui.errors import describe
from ui.status_bar import ConnectionStatus
from tests.ui.test_teller import _page, _select


def _lose_the_database(monkeypatch, times: int | None) -> list[int]:
    """The next ``times`` transfers (None: all) meet a busy database; returns the attempt counter."""
    real = Ledger._transfer
    calls = [0]

    def flaky(self, conn, *args, **kwargs):  # noqa: ANN001
        calls[0] += 1
        if times is None or calls[0] <= times:
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        return real(self, conn, *args, **kwargs)

    monkeypatch.setattr(Ledger, "_transfer", flaky)
    return calls


def _fill(qtbot, form, to: str, amount: str) -> None:  # noqa: ANN001
    qtbot.keyClicks(form.fields["to"], to)
    qtbot.keyClicks(form.fields["amount"], amount)
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_a_short_outage_shows_retrying_then_posts_once(qtbot, services, bank, teller, monkeypatch):
    page = _page(qtbot, services, teller)
    status = ConnectionStatus([("Database", lambda: Health("Database", "ok", "sqlite"))])
    qtbot.addWidget(status)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    calls = _lose_the_database(monkeypatch, times=6)  # about 1.5 s of retries (0.05 s doubling)
    _fill(qtbot, form, bank[1], "10.00")
    qtbot.waitUntil(lambda: "Database unreachable, retrying" in form.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: "unreachable, retrying" in status.labels["Database"].text(), timeout=5000)
    assert status.state("Database") == "down"
    qtbot.waitUntil(lambda: "Posted $10.00" in form.status.text(), timeout=15000)
    assert calls[0] == 7 and not _boxes()
    qtbot.waitUntil(lambda: status.state("Database") == "ok", timeout=5000)  # rechecked once it got through
    assert services.ledger.balance(teller, bank[0]).current == 99000  # posted once


def test_an_outage_past_the_budget_is_a_typed_error_inline_and_keeps_the_id(qtbot, services, bank, teller,
                                                                            monkeypatch):
    services.ledger.retry_seconds = 0.3
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    _lose_the_database(monkeypatch, times=None)
    _fill(qtbot, form, bank[1], "10.00")
    kept = form._request_id
    qtbot.waitUntil(lambda: "busy" in form.status.text() and not form._busy, timeout=10000)
    assert "never posted twice" in form.status.text() and "Unexpected" not in form.status.text()
    assert "SQL" not in form.status.text() and "BEGIN" not in form.status.text()
    assert form._request_id == kept and kept is not None  # the outcome is unknown: the same id next time
    assert not _boxes()


def test_a_lost_connection_is_never_described_as_unexpected():
    err = OperationalError("SELECT secret FROM t WHERE x = %(x)s", {"x": "p"},
                           sqlite3.OperationalError("database is locked"))
    title, message = describe(err)
    assert title == "Database unreachable" and "SELECT" not in message and "secret" not in message
