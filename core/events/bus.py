"""The live-update bus of one database: publish inside a transaction, deliver to every desk after commit.

Transports, chosen once per bus:

- ``redis`` when a Redis URL is configured: published after commit (by a sender thread, so a slow
  Redis never holds up the committing thread), received by a SUBSCRIBE thread.
- ``postgres`` on PostgreSQL without Redis: ``pg_notify`` runs inside the publishing transaction, so
  PostgreSQL itself delivers it only if, and when, that transaction commits; a LISTEN thread receives.
- ``local`` on SQLite without Redis: delivered in this process right after commit, on the committing
  thread (an embedded database has one desk).

Subscribers are called on the listener's (or the committing) thread: they must hand over to their
own thread quickly (the console's bridge emits a queued Qt signal, ``app/live.py``).
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from core.events.commit import after_commit
from core.events.event import Event
from core.events.listen import Listener, PostgresListener, RedisListener

log = logging.getLogger(__name__)
Callback = Callable[[Event], None]
_buses: "weakref.WeakKeyDictionary[Any, EventBus]" = weakref.WeakKeyDictionary()  # dialect -> bus
_NOTIFY = text("SELECT pg_notify('qenex.events.' || current_schema(), :data)")
_NOTIFY_RAW = "SELECT pg_notify('qenex.events.' || current_schema(), %s)"


class EventBus:
    """Subscribe to events of one database and publish into them; one bus per engine.

    ``state`` is ``local`` (SQLite, this process only), ``stopped`` (not listening yet), ``connecting``,
    ``live`` or ``down`` (``detail`` says why; the listener keeps retrying).
    """

    def __init__(self, engine: Engine, *, redis_url: str | None = None) -> None:
        self.engine = engine
        self.redis_url = redis_url
        postgres = engine.dialect.name == "postgresql"
        self.transport = "redis" if redis_url else "postgres" if postgres else "local"
        self.state, self.detail = ("local", "this desk only (SQLite)") if self.transport == "local" else ("stopped", "")
        self._subscribers: list[tuple[Callback, tuple[str, ...] | None]] = []
        self._state_watchers: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()
        self._listener: Listener | None = None
        self._channel: str | None = None
        self._sender: _RedisSender | None = None
        _buses[engine.dialect] = self

    @classmethod
    def of(cls, engine: Engine, *, redis_url: str | None = None) -> "EventBus":
        """The bus of ``engine``: the one already made for it (same Redis URL), or a new one."""
        bus = _buses.get(engine.dialect)
        if bus is not None and bus.redis_url == redis_url:
            return bus
        if bus is not None:
            bus.stop()
        return cls(engine, redis_url=redis_url)

    # -- subscribing ----------------------------------------------------------------------------
    def subscribe(self, callback: Callback, names: tuple[str, ...] | list[str] | None = None) -> Callable[[], None]:
        """Call ``callback(event)`` for each event whose name is in ``names`` (exact, or ``prefix.*``;
        None: all). Returns a function that unsubscribes. Callbacks run on a background thread."""
        entry = (callback, tuple(names) if names is not None else None)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def watch_state(self, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(state, detail)`` whenever the listener's state changes."""
        with self._lock:
            self._state_watchers.append(callback)

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to every matching subscriber (errors are logged, never raised)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for callback, names in subscribers:
            if event.matches(names):
                try:
                    callback(event)
                except Exception:  # noqa: BLE001 - one broken subscriber must not starve the others
                    log.exception("a live-update subscriber failed on %s", event.name)

    # -- publishing -----------------------------------------------------------------------------
    def send(self, conn: Connection, event: Event) -> None:
        """Publish ``event`` as part of ``conn``'s transaction: delivered only once it commits."""
        if self.transport == "postgres":
            conn.execute(_NOTIFY, {"data": event.encode()})
        elif self.transport == "redis":
            sender = self._redis_sender(conn)
            data = event.encode()
            after_commit(conn, lambda: sender.put(data))
        else:
            after_commit(conn, lambda: self.dispatch(event))

    def announce(self, event: Event, pg_cursor: Any = None) -> None:
        """Publish ``event`` about a change that has already committed (an autocommit write).

        On PostgreSQL ``pg_cursor`` (a psycopg cursor in autocommit mode) sends the NOTIFY.
        """
        if self.transport == "postgres":
            pg_cursor.execute(_NOTIFY_RAW, [event.encode()])
        elif self.transport == "redis":
            if self._sender is None:
                with self.engine.connect() as conn:
                    sender = self._redis_sender(conn)
            else:
                sender = self._sender
            sender.put(event.encode())
        else:
            self.dispatch(event)

    # -- listening ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start listening (a background thread); nothing to do on SQLite without Redis."""
        if self.transport == "local" or self._listener is not None:
            return
        if self.transport == "postgres":
            self._listener = PostgresListener(self.engine, self.dispatch, self._report)
        else:
            with self.engine.connect() as conn:
                channel = self.channel(conn)
            self._listener = RedisListener(self.redis_url or "", channel, self.dispatch, self._report)
        self._listener.start()

    def stop(self) -> None:
        """Stop listening and send what is still queued for Redis (waits a few seconds at most)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            self._report("stopped", "")
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()

    def _report(self, state: str, detail: str) -> None:
        with self._lock:
            changed = (state, detail) != (self.state, self.detail)
            self.state, self.detail = state, detail
            watchers = list(self._state_watchers)
        if changed:
            for watcher in watchers:
                watcher(state, detail)

    # -- Redis ----------------------------------------------------------------------------------
    def channel(self, conn: Connection) -> str:
        """The Redis channel of this bank: named after the database (and schema), the same on every desk."""
        if self._channel is None:
            if conn.dialect.name == "postgresql":
                database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
                identity = f"postgresql:{database}/{schema}"
            else:
                identity = f"sqlite:{Path(conn.engine.url.database or ':memory:').resolve()}"
            self._channel = "qenex:events:" + hashlib.sha256(identity.encode()).hexdigest()[:20]
        return self._channel

    def _redis_sender(self, conn: Connection) -> "_RedisSender":
        if self._sender is None:
            with self._lock:
                if self._sender is None:
                    self._sender = _RedisSender(self.redis_url or "", self.channel(conn), self._report)
        return self._sender


class _RedisSender:
    """Publishes queued events to Redis from a thread of its own; a failed send is retried a few times."""

    TRIES = 3

    def __init__(self, url: str, channel: str, report: Callable[[str, str], None]) -> None:
        self.url, self.channel, self.report = url, channel, report
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="qenex-redis-sender", daemon=True)
        self._thread.start()

    def put(self, data: str) -> None:
        self._queue.put(data)

    def close(self, timeout: float = 3.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            while (data := self._queue.get()) is not None:
                for attempt in range(self.TRIES):
                    try:
                        client.publish(self.channel, data)
                        break
                    except redis.RedisError as exc:
                        if attempt == self.TRIES - 1:
                            log.warning("live update not sent to Redis: %s", exc)
                            self.report("down", f"cannot publish: {exc}")
                        else:
                            threading.Event().wait(0.2 * (attempt + 1))
        finally:
            client.close()


def bus_for(engine: Engine) -> EventBus | None:
    """The bus made for ``engine`` (or an engine sharing its dialect), if any."""
    return _buses.get(engine.dialect)


def publish(conn: Connection, name: str, payload: dict[str, Any] | None = None) -> Event:
    """Publish event ``name`` with ``payload`` inside ``conn``'s transaction; delivered after commit.

    Without a bus for this engine (a script that only writes), PostgreSQL still notifies the desks;
    on SQLite there is nobody to tell. ValueError for a malformed name or a payload over 7,900 bytes.
    """
    event = Event.new(name, payload)
    bus = _buses.get(conn.dialect)
    if bus is not None:
        bus.send(conn, event)
    elif conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"data": event.encode()})
    return event
