"""Live updates through Redis pub/sub (QENEX_REDIS_URL): published after commit, heard by every desk."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from core.events import EventBus, publish
from core.persistence.db import make_engine
from tests.events.conftest import wait_state


@pytest.fixture
def two_desks(tmp_path, redis_url):
    """Two engines (desks) on one SQLite bank, each with a Redis bus."""
    engines = [make_engine(f"sqlite:///{tmp_path / 'bank.db'}") for _ in range(2)]
    buses = [EventBus(engine, redis_url=redis_url) for engine in engines]
    yield engines, buses
    for bus, engine in zip(buses, engines):
        bus.stop()
        engine.dispose()


def test_redis_carries_events_between_desks_after_commit(two_desks, collector):
    (engine1, _engine2), (bus1, bus2) = two_desks
    assert bus1.transport == "redis"
    bus2.subscribe(collector)
    bus2.start()
    wait_state(bus2, "live")
    with pytest.raises(RuntimeError):
        with engine1.begin() as conn:
            publish(conn, "approval.requested", {"id": "rolled back"})
            raise RuntimeError("abort")
    with engine1.begin() as conn:
        conn.execute(text("select 1"))
        publish(conn, "approval.requested", {"id": 7})
    event = collector.wait(lambda e: e.name == "approval.requested", 3)
    assert event is not None and event.payload == {"id": 7}
    assert collector.wait(lambda e: e.payload.get("id") == "rolled back", 0.3) is None
    assert bus1.channel(engine1.connect()) == bus2.channel(_engine2.connect())


def test_redis_down_is_reported_not_raised(tmp_path, collector):
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    bus = EventBus(engine, redis_url="redis://127.0.0.1:1/0")
    bus.start()
    try:
        wait_state(bus, "down")
        assert "connect" in bus.detail.lower() or "refused" in bus.detail.lower()
        with engine.begin() as conn:  # publishing still commits; the sender reports it could not send
            publish(conn, "drawer.updated", {})
    finally:
        bus.stop()
        engine.dispose()
