"""Live updates on PostgreSQL: NOTIFY inside the transaction, LISTEN on a thread, two processes, reconnect."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from core.events import EventBus, publish
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR
from tests.events.conftest import wait_state

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bus(pg_engine):
    bus = EventBus.of(pg_engine)
    yield bus
    bus.stop()


def _funded(ledger: Ledger) -> tuple[str, str]:
    numbers = []
    for name in ("A", "B"):
        cust = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, cust.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 1_000_000, "USD")
    return numbers[0], numbers[1]


def test_notify_is_delivered_only_when_the_transaction_commits(pg_engine, bus, collector):
    bus.subscribe(collector)
    bus.start()
    wait_state(bus, "live")
    with pg_engine.connect() as conn:
        tx = conn.begin()
        publish(conn, "drawer.updated", {"drawer": "D1"})
        assert collector.wait(lambda e: True, 0.4) is None  # not before commit
        tx.commit()
        committed = time.monotonic()
    event = collector.wait(lambda e: e.name == "drawer.updated", 2)
    assert event is not None and event.payload == {"drawer": "D1"}
    assert collector.times[0] - committed < 1.0
    with pg_engine.connect() as conn:
        tx = conn.begin()
        publish(conn, "drawer.updated", {"drawer": "rolled back"})
        tx.rollback()
    assert collector.wait(lambda e: e.payload.get("drawer") == "rolled back", 0.5) is None


def test_schemas_do_not_hear_each_other(pg_engine, bus, collector):
    bus.subscribe(collector)
    bus.start()
    wait_state(bus, "live")
    with pg_engine.begin() as conn:
        conn.execute(text("SELECT pg_notify('qenex.events.some_other_schema', '{\"n\":\"x.y\"}')"))
        publish(conn, "drawer.updated", {})
    assert collector.wait(lambda e: e.name == "drawer.updated", 2) is not None
    assert collector.names() == ["drawer.updated"]


def test_listener_reconnects_and_asks_for_a_resync(pg_engine, bus, collector):
    bus.subscribe(collector)
    bus.start()
    wait_state(bus, "live")
    with pg_engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid() AND datname = current_database() "
                          "AND query LIKE '%' || current_schema() || '%'"))
    assert collector.wait(lambda e: e.name == "bus.resync", 5) is not None
    wait_state(bus, "live")
    with pg_engine.begin() as conn:
        publish(conn, "drawer.updated", {"after": "reconnect"})
    assert collector.wait(lambda e: e.payload.get("after") == "reconnect", 2) is not None


def _child(*args: str, stdin=None) -> subprocess.Popen:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.events.child", *args], cwd=ROOT, env=env, text=True,
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_processes_a_transfer_at_one_desk_reaches_the_other_within_a_second(pg_engine, bus, collector):
    """Desk 1 (this process) listens; desk 2 (a child) posts. Then the other way round."""
    url = pg_engine.url.render_as_string(hide_password=False)
    ledger = Ledger(pg_engine)
    a, b = _funded(ledger)
    bus.subscribe(collector, ("transaction.created",))
    bus.start()
    wait_state(bus, "live")
    poster = _child("post", url, a, b, "1234")
    out, err = poster.communicate(timeout=60)
    assert poster.returncode == 0, err
    committed = json.loads(out.strip().splitlines()[-1])["committed"]
    event = collector.wait(lambda e: e.payload.get("amount") == "12.34", 3)
    assert event is not None and event.accounts() == {a, b}
    received = time.time() - (time.monotonic() - collector.times[collector.events.index(event)])
    assert received - committed < 1.0

    listener = _child("listen", url, stdin=subprocess.PIPE)
    try:
        assert listener.stdout.readline().strip() == "ready"
        Ledger(pg_engine).transfer(SYSTEM_ACTOR, TransferRequest(id="from-desk-1", debit=b, credit=a, amount=500,
                                                                 currency="USD"))
        committed = time.time()
        line = json.loads(listener.stdout.readline())
        assert line["name"] == "transaction.created" and line["payload"]["id"] == "from-desk-1"
        assert line["at"] - committed < 1.0
    finally:
        listener.stdin.close()
        listener.wait(timeout=10)
