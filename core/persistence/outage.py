"""Database outages: what counts as a lost connection, the one typed error callers see, bounded retries.

A lost connection shows up as the driver's ``psycopg.OperationalError`` (no SQLSTATE, class 08, or an
administrator's ``pg_terminate_backend``/restart: 57P01-57P03), as SQLAlchemy's ``OperationalError`` or
``DBAPIError`` with ``connection_invalidated``, or on SQLite as "database is locked/busy" after the busy
timeout. ``is_connection_loss`` recognises all of them; ``DatabaseUnavailable`` (core.errors) is what a
caller gets once retrying is over: a plain message, never SQL or parameters.

``Outage`` retries for a bounded time (``QENEX_DB_RETRY_SECONDS``, default 10 s) with a growing pause,
and tells listeners (the console's status bar and forms) "retrying" and then "ok" or "down". Work is only
retried where a repeat is harmless: a transfer with the same id replays instead of posting twice.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from core.errors import ConfigurationError, DatabaseUnavailable

log = logging.getLogger(__name__)
DEFAULT_RETRY_SECONDS = 10.0
ENV_VAR = "QENEX_DB_RETRY_SECONDS"
_LOST_STATES = {"57P01", "57P02", "57P03"}  # admin shutdown (pg_terminate_backend), crash shutdown, starting up
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")

Listener = Callable[[str, str], None]  # (state: "retrying" | "ok" | "down", plain detail)
_listeners: list[Listener] = []
_lock = threading.Lock()


def retry_seconds(environ: dict[str, str] | None = None) -> float:
    """QENEX_DB_RETRY_SECONDS (0 … 600; default 10): how long one call keeps retrying a lost database."""
    raw = ((environ if environ is not None else os.environ).get(ENV_VAR) or "").strip()
    if not raw:
        return DEFAULT_RETRY_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{ENV_VAR} must be a number of seconds, got {raw[:20]!r}") from None
    if not 0 <= value <= 600:
        raise ConfigurationError(f"{ENV_VAR} must be between 0 and 600 seconds, got {raw[:20]!r}")
    return value


def is_connection_loss(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error it wraps) means the database cannot be reached right now."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DatabaseUnavailable):
        return True
    if isinstance(exc.__cause__, DBAPIError) and not isinstance(exc, DBAPIError):
        exc = exc.__cause__
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        psycopg = None
    if psycopg is not None and isinstance(exc, psycopg.OperationalError):
        state = getattr(exc, "sqlstate", None)
        return state is None or state.startswith("08") or state in _LOST_STATES
    if psycopg is not None and isinstance(exc, psycopg.InterfaceError):
        return "closed" in str(exc).lower()
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in _SQLITE_BUSY)
    return False


def unavailable(exc: BaseException | None = None, seconds: float | None = None) -> DatabaseUnavailable:
    """The typed error for a lost database, in plain words (never the driver's text: it may hold SQL)."""
    busy = exc is not None and "lock" in str(getattr(exc, "orig", exc) or "").lower()
    waited = f" after retrying for {seconds:g} s" if seconds else ""
    if busy:  # SQLite: another process holds the write lock; nothing is wrong with a server
        return DatabaseUnavailable(f"The database stayed busy{waited}: another QENEX process (a desk, a retrain or "
                                   "a command) is writing to it. Nothing was saved twice; try again in a moment.")
    return DatabaseUnavailable(f"The database is unreachable{waited}; nothing was saved twice. Check the connection "
                               "or ask the administrator, then try again: a transfer with the same id is never "
                               "posted twice")


def add_listener(listener: Listener) -> None:
    with _lock:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def notify(state: str, detail: str = "") -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(state, detail)
        except Exception:  # noqa: BLE001 - a listener's fault must not break database work
            log.debug("outage listener failed", exc_info=True)


class Outage:
    """One call's retry budget. ``wait(exc)`` sleeps before the next try, or raises DatabaseUnavailable
    when ``seconds`` have passed since the first loss; ``recovered()`` after a try that worked."""

    def __init__(self, seconds: float | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.seconds = retry_seconds() if seconds is None else seconds
        self.started = time.monotonic()
        self.tries = 0
        self._sleep = sleep

    def wait(self, exc: BaseException) -> None:
        self.tries += 1
        elapsed = time.monotonic() - self.started
        if elapsed >= self.seconds:
            notify("down", "database unreachable")
            raise unavailable(exc, self.seconds) from exc
        if self.tries == 1:
            log.info("database connection lost; retrying for up to %g s", self.seconds)
        notify("retrying", "database unreachable, retrying")
        self._sleep(min(0.05 * 2 ** min(self.tries - 1, 5), 1.0, max(self.seconds - elapsed, 0.0)))

    def recovered(self) -> None:
        log.info("database reachable again after %d retries", self.tries)
        notify("ok", "")


def run_transaction(begin: Callable[[], object], work: Callable[[object], object], *, attempts: int = 5,
                    retry_seconds: float | None = None, retryable_states: frozenset[str] | set[str] = frozenset()
                    ) -> object:
    """``work(conn)`` in the transaction ``begin()`` opens, retried: an IntegrityError or a driver error whose
    SQLSTATE is in ``retryable_states`` (deadlock, serialization failure) up to ``attempts`` times with a short
    pause; a lost connection for ``retry_seconds`` (then DatabaseUnavailable). Only for work that is safe to
    repeat (``Ledger.run``: every write is keyed by its id)."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    attempt = 0
    lost: Outage | None = None
    while True:
        try:
            with begin() as conn:  # type: ignore[attr-defined]
                result = work(conn)
            if lost is not None:
                lost.recovered()
            return result
        except IntegrityError:
            attempt += 1
            if attempt >= attempts:
                raise
        except (DatabaseUnavailable, DBAPIError) as exc:
            if is_connection_loss(exc):
                lost = lost or Outage(retry_seconds)
                lost.wait(exc)  # raises DatabaseUnavailable when the budget is spent
                continue
            attempt += 1
            if getattr(getattr(exc, "orig", None), "sqlstate", None) not in retryable_states or attempt >= attempts:
                raise
            time.sleep(0.005 * attempt)


def retrying(work: Callable[[], object], seconds: float | None = None) -> object:
    """``work()`` retried on connection loss for ``seconds``; only for work that is safe to repeat."""
    outage: Outage | None = None
    while True:
        try:
            result = work()
        except Exception as exc:
            if not is_connection_loss(exc):  # engines from make_engine raise DatabaseUnavailable at the first loss
                raise
            outage = outage or Outage(seconds)
            outage.wait(exc)
            continue
        if outage is not None:
            outage.recovered()
        return result


class _QuietPool(logging.Filter):
    """Turn the pool's error-with-traceback for a broken connection into one INFO line (no stderr spam)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_connection_loss(exc):
            message = record.getMessage()
            record.msg = "%s (database connection lost: %s)"
            record.args = (message[:120], type(exc).__name__)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_quiet = _QuietPool()


_POOL_LOGGERS = ("sqlalchemy.pool", "sqlalchemy.pool.base", "sqlalchemy.pool.impl.QueuePool",
                 "sqlalchemy.pool.impl.NullPool", "sqlalchemy.pool.impl.SingletonThreadPool",
                 "sqlalchemy.pool.impl.StaticPool", "sqlalchemy.engine.base.Engine")


def quiet_pool_logging(engine: object = None) -> None:
    """Install the filter on SQLAlchemy's pool loggers, and ``engine``'s own pool logger (idempotent).

    A logger's filters do not apply to its children's records, so each logger the pool writes to gets it."""
    loggers = [logging.getLogger(name) for name in _POOL_LOGGERS]
    pool_logger = getattr(getattr(engine, "pool", None), "logger", None)
    if pool_logger is not None:
        loggers.append(getattr(pool_logger, "logger", pool_logger))  # an echo wrapper holds the real logger
    for logger in loggers:
        if isinstance(logger, logging.Logger) and _quiet not in logger.filters:
            logger.addFilter(_quiet)


def translate_errors(engine: object) -> None:
    """Make every statement and connect on ``engine`` that meets a lost connection raise DatabaseUnavailable
    (the plain, typed error) instead of SQLAlchemy's OperationalError, whose text holds the SQL and, unless
    hidden, its parameters. SQLAlchemy still invalidates the broken connection first."""
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _typed(context) -> BaseException | None:  # noqa: ANN001
        original = context.original_exception
        if context.is_disconnect or is_connection_loss(original):
            return unavailable(original)
        return None
