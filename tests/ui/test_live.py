"""Live updates in the console: a transfer posted by another process appears on an open Teller page."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.live import live_updates
from app.services import Services
from app.settings import Settings
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from ui.teller.page import TellerPage

ROOT = Path(__file__).resolve().parents[2]


def _open_page(qtbot, services, number):  # noqa: ANN001, ANN202
    page = TellerPage(services, Actor("tina", Role.TELLER, device="desk-1"))
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and page.model.row_object(0) is not None)
    row = next(r for r in range(page.model.rowCount()) if page.model.row_object(r).number == number)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.current_label.text() == "$100.00")
    return page


def _customers(services):  # noqa: ANN001, ANN202
    ledger, numbers = services.ledger, []
    for name in ("Ada Lovelace", "Grace Hopper"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 10_000, "USD")
    return numbers


@pytest.mark.postgres
def test_transfer_from_another_process_shows_within_a_second(qtbot, pg_engine, tmp_path, tasks):
    url = pg_engine.url.render_as_string(hide_password=False)
    services = Services.build(Settings(url, None, tmp_path), pg_engine)
    try:
        a, b = _customers(services)
        page = _open_page(qtbot, services, a)
        qtbot.waitUntil(lambda: services.events.state == "live", timeout=5000)
        child = subprocess.Popen([sys.executable, "-m", "tests.events.child", "post", url, a, b, "2500"], cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        shown: list[float] = []
        qtbot.waitUntil(lambda: shown or (page.current_label.text() == "$75.00" and shown.append(time.time())),
                        timeout=60_000)  # the event loop runs meanwhile: the other desk starts up and posts
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        committed = json.loads(out.strip().splitlines()[-1])["committed"]
        assert shown[0] - committed < 1.0, f"shown {shown[0] - committed:.2f} s after the other desk committed"
        assert page.statement_model.rowCount() == 2
    finally:
        tasks.shutdown(wait=True)
        services.close()


def test_in_process_bursts_are_coalesced(qtbot, services, bank, teller):
    """Twenty transfers in a burst cost the page a handful of refreshes, and it ends up current."""
    page = TellerPage(services, teller)
    qtbot.addWidget(page)
    page.show()
    calls: list[int] = []
    original = page._on_live
    page.live.on_events = lambda events: (calls.append(len(events)), original(events))
    live_updates(services.events)
    for i in range(20):
        services.ledger.transfer(SYSTEM_ACTOR, TransferRequest(id=f"burst-{i}", debit=bank[0], credit=bank[2],
                                                               amount=100, currency="USD"))
    qtbot.waitUntil(lambda: sum(calls) == 20, timeout=3000)
    assert len(calls) <= 4, calls


@pytest.mark.postgres
def test_approval_requested_at_another_desk_shows_in_the_inbox_within_a_second(qtbot, pg_engine, tmp_path, tasks):
    """Desk 2 (a child process) makes a teller's transfer above the limit; desk 1's open approvals inbox
    shows the request, and its open teller page the reserved funds, within a second of the commit."""
    from ui.approvals.page import ApprovalsPage

    url = pg_engine.url.render_as_string(hide_password=False)
    services = Services.build(Settings(url, None, tmp_path), pg_engine)
    try:
        a, b = _customers(services)
        services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)  # in the database: every desk's limit
        page = _open_page(qtbot, services, a)
        inbox = ApprovalsPage(services, Actor("sam", Role.SUPERVISOR, device="desk-1"))
        qtbot.addWidget(inbox)
        inbox.show()
        qtbot.waitUntil(lambda: services.events.state == "live", timeout=5000)
        child = subprocess.Popen([sys.executable, "-m", "tests.events.child", "post-as-teller", url, a, b, "4000"],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        shown: list[float] = []
        qtbot.waitUntil(lambda: shown or (inbox.model.rowCount() == 1 and shown.append(time.time())), timeout=60_000)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        posted = json.loads(out.strip().splitlines()[-1])
        assert posted["state"] == "pending" and inbox.model.row_object(0).id == posted["approval"]
        assert shown[0] - posted["committed"] < 1.0, f"shown {shown[0] - posted['committed']:.2f} s after the commit"
        qtbot.waitUntil(lambda: page.customer_panel.available_label.text() == "$60.00", timeout=2000)
        assert page.current_label.text() == "$100.00"  # reserved, not posted
    finally:
        tasks.shutdown(wait=True)
        services.close()
