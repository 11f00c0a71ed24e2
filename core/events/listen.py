"""Listener threads: PostgreSQL LISTEN and Redis SUBSCRIBE, each reconnecting on its own.

A listener hands every event it receives to ``deliver`` and reports its state to ``report(state,
detail)``: ``connecting``, ``live`` or ``down``. After a lost connection comes back it delivers a
``bus.resync`` event, since events sent meanwhile were missed.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from core.events.event import RESYNC, Event

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25  # how often a waiting listener looks at its stop flag
MAX_BACKOFF = 10.0


class Listener:
    """A daemon thread that keeps one subscription alive until ``stop``."""

    name = "listener"

    def __init__(self, deliver: Callable[[Event], None], report: Callable[[str, str], None]) -> None:
        self.deliver, self.report = deliver, report
        self._stop = threading.Event()
        self._live_before = False
        self._thread = threading.Thread(target=self._run, name=f"qenex-{self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self.report("connecting", "")
            try:
                self.listen(self._connected)
            except Exception as exc:  # noqa: BLE001 - any failure: report, wait, reconnect
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                log.warning("live updates (%s) lost: %s", self.name, detail)
                self.report("down", detail)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            else:
                backoff = 0.5

    def _connected(self) -> None:
        """Subscribed: report it, and after a reconnection tell subscribers to reload (events were missed)."""
        self.report("live", "")
        if self._live_before:
            self.deliver(Event(RESYNC, {"reason": "reconnected"}))
        self._live_before = True

    def receive(self, text: str | bytes) -> None:
        try:
            event = Event.decode(text)
        except ValueError as exc:
            log.warning("ignored a message on the live-update channel: %s", exc)
            return
        self.deliver(event)

    def listen(self, on_connected: Callable[[], None]) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()


class PostgresListener(Listener):
    """LISTEN on the schema's channel over a connection of its own (taken from the engine, then detached)."""

    name = "postgres"

    def __init__(self, engine: Engine, deliver: Callable[[Event], None], report: Callable[[str, str], None]) -> None:
        super().__init__(deliver, report)
        self.engine = engine

    def listen(self, on_connected: Callable[[], None]) -> None:
        pooled = self.engine.raw_connection()
        pooled.detach()
        raw: Any = pooled.dbapi_connection
        try:
            raw.autocommit = True
            schema = raw.execute("SELECT current_schema()").fetchone()[0]
            raw.execute(f'LISTEN "{pg_channel(schema)}"')
            on_connected()
            while not self.stopping:
                for notify in raw.notifies(timeout=POLL_SECONDS):
                    self.receive(notify.payload)
        finally:
            pooled.close()


class RedisListener(Listener):
    """SUBSCRIBE to the bank's channel on a Redis server."""

    name = "redis"

    def __init__(self, url: str, channel: str, deliver: Callable[[Event], None],
                 report: Callable[[str, str], None]) -> None:
        super().__init__(deliver, report)
        self.url, self.channel = url, channel

    def listen(self, on_connected: Callable[[], None]) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=3, health_check_interval=15)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            on_connected()
            while not self.stopping:
                message = pubsub.get_message(timeout=POLL_SECONDS)
                if message is not None and message.get("type") == "message":
                    self.receive(message["data"])
        finally:
            pubsub.close()
            client.close()


def pg_channel(schema: str) -> str:
    """The NOTIFY channel of one schema (several banks, or test runs, may share a database)."""
    return f"qenex.events.{schema}"
