"""Live updates: events, after-commit delivery, and the in-process bus on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from core.events import RESYNC, Event, EventBus, account_list, after_commit, publish
from core.events.event import MAX_ACCOUNTS
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role


def test_event_round_trip_and_filters():
    event = Event.new("transaction.created", {"id": "t1", **account_list(["1", "2", "1"])})
    back = Event.decode(event.encode())
    assert back == event and back.accounts() == {"1", "2"}
    assert back.matches(("transaction.*",)) and back.matches(None) and not back.matches(("fraud.detected",))
    assert Event(RESYNC).matches(("fraud.detected",)) and Event(RESYNC).accounts() is None


@pytest.mark.parametrize("name", ["Transaction.created", "transaction", "transaction created", "", None, "a..b"])
def test_malformed_names_are_refused(name):
    with pytest.raises(ValueError, match="dotted lower-case"):
        Event.new(name, {})


def test_payloads_stay_small():
    with pytest.raises(ValueError, match="over 7900 bytes"):
        Event.new("transaction.created", {"blob": "x" * 8000})
    many = account_list([str(i) for i in range(MAX_ACCOUNTS + 5)])
    assert len(many["accounts"]) == MAX_ACCOUNTS and many["accounts_truncated"] is True
    assert Event.new("transaction.created", many).accounts() is None  # truncated: "possibly any"


def test_strangers_on_the_channel_are_not_events():
    for junk in ("", "{}", "[1]", "not json"):
        with pytest.raises(ValueError, match="not a QENEX event"):
            Event.decode(junk)


def test_after_commit_runs_only_after_commit(engine):
    ran: list[str] = []
    with engine.begin() as conn:
        conn.execute(text("select 1"))
        after_commit(conn, lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            after_commit(conn, lambda: ran.append("rolled back"))
            raise RuntimeError("boom")
    with engine.begin() as conn:  # the same pooled connection: nothing left over from the rollback
        conn.execute(text("select 1"))
    assert ran == ["committed"]


def test_a_failing_callback_does_not_undo_the_commit(sqlite_engine):
    def broken() -> None:
        raise RuntimeError("subscriber bug")

    with sqlite_engine.begin() as conn:
        conn.execute(text("create table t (x int)"))
        after_commit(conn, broken)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("select count(*) from t")).scalar_one() == 0


def _accounts(ledger: Ledger) -> tuple[str, str]:
    numbers = []
    for name in ("A", "B"):
        cust = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, cust.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 10_000, "USD")
    return numbers[0], numbers[1]


def test_local_bus_delivers_ledger_events_after_commit(sqlite_engine, collector):
    bus = EventBus.of(sqlite_engine)
    assert bus.transport == "local" and bus.state == "local"
    bus.subscribe(collector, ("transaction.*", "account.updated"))
    ledger = Ledger(sqlite_engine)
    a, b = _accounts(ledger)
    collector.events.clear()
    ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="t1", debit=a, credit=b, amount=2_500, currency="USD"))
    event = collector.wait(lambda e: e.payload.get("id") == "t1", 1)
    assert event.name == "transaction.created" and event.accounts() == {a, b}
    assert event.payload["amount"] == "25.00" and event.payload["state"] == "posted"
    # a replay is not news; a refused transfer rolls back and tells nobody
    ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="t1", debit=a, credit=b, amount=2_500, currency="USD"))
    with pytest.raises(Exception, match="available"):
        ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="t2", debit=a, credit=b, amount=9_999_999, currency="USD"))
    assert collector.names() == ["transaction.created"]
    ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="p1", debit=a, credit=b, amount=100, currency="USD", pending=True))
    ledger.void_pending(SYSTEM_ACTOR, "p1")
    ledger.set_status(Actor("sue", Role.SUPERVISOR), b, "frozen")  # human-only (core.security.roles.HUMAN_ONLY)
    assert collector.names() == ["transaction.created", "transaction.created", "transaction.completed",
                                 "account.updated"]
    assert collector.events[2].payload["state"] == "voided"


def test_unsubscribe_and_a_broken_subscriber(sqlite_engine, collector):
    bus = EventBus.of(sqlite_engine)
    stop = bus.subscribe(lambda _e: 1 / 0)
    bus.subscribe(collector)
    with sqlite_engine.begin() as conn:
        publish(conn, "drawer.updated", {"drawer": "D1"})
    assert collector.names() == ["drawer.updated"]
    stop()
    assert EventBus.of(sqlite_engine) is bus  # one bus per engine
