"""Hot paths on PostgreSQL's driver (psycopg) below SQLAlchemy, with SQLAlchemy's exceptions.

The desk posting path spends most of its client CPU in the layers above the wire; these helpers skip
them: the pooled connection's own psycopg cursor, a transaction without SQLAlchemy's Connection object,
and idle connections kept in autocommit mode for work that is one statement per commit.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat
from psycopg.types.numeric import Int8
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError

_INT8 = psycopg.adapters.get_dumper(Int8, PyFormat.BINARY)

# psycopg caches the conversion of a statement's %s placeholders (a regex pass over the text) only for
# statements with at most 50 parameters and 4 KB, a guard against huge one-off statements. The desk's
# one-statement posting (core.ledger.desk) has about 140 parameters and 3.8 KB (a review with its alert)
# and is one of a few fixed texts; parsing it again on every transfer cost a fifth of the desk's client
# time. The cache stays bounded (psycopg's LRU of 128 texts); tests/ledger/test_desk_path.py checks it hits.
if getattr(psycopg._queries, "MAX_CACHED_STATEMENT_PARAMS", 0) < 200:  # noqa: SLF001 - see above
    psycopg._queries.MAX_CACHED_STATEMENT_PARAMS = 200  # noqa: SLF001
if getattr(psycopg._queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < 16_384:  # noqa: SLF001 - room to grow
    psycopg._queries.MAX_CACHED_STATEMENT_LENGTH = 16_384  # noqa: SLF001


def _cursor(pooled: Any) -> psycopg.Cursor:
    """The psycopg cursor kept in the pool's per-connection ``info`` (made once); ints are sent as int8,
    so a statement's parameter types, hence its prepared plan, never vary."""
    raw = pooled.driver_connection
    cur = pooled.info.get("qenex.cursor")
    if cur is None or cur.closed or cur.connection is not raw:
        cur = pooled.info["qenex.cursor"] = _int8_cursor(raw)
    return cur


def _int8_cursor(raw: psycopg.Connection) -> psycopg.Cursor:
    cur = raw.cursor()
    cur.adapters.register_dumper(int, _INT8)
    return cur


def _translate(err: psycopg.Error, dialect: Any, pooled: Any, cur: psycopg.Cursor) -> tuple[DBAPIError, bool]:
    """``err`` as SQLAlchemy's exception (so ``Ledger.run`` retries deadlocks and id races) and whether the
    connection is gone."""
    invalidated = dialect.is_disconnect(err, pooled.dbapi_connection, cur)
    return DBAPIError.instance(None, None, err, psycopg.Error, hide_parameters=True,
                               connection_invalidated=invalidated, dialect=dialect), invalidated


def checkout(engine: Engine) -> Any:
    """``engine.raw_connection()`` with SQLAlchemy's error translation, which the raw call skips: a server
    that cannot be reached comes out as ``DBAPIError`` with ``connection_invalidated`` (no SQL, no parameters),
    so ``Ledger.run`` retries it and ``core.persistence.outage`` names it."""
    try:
        return engine.raw_connection()
    except DBAPIError:
        raise
    except psycopg.Error as err:
        raise DBAPIError.instance(None, None, err, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=isinstance(err, psycopg.OperationalError),
                                  dialect=engine.dialect) from err


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[psycopg.Cursor]:
    """The psycopg cursor of ``conn``'s pooled connection, in its transaction.

    Driver errors come out as SQLAlchemy's, as from ``conn.execute``.
    """
    pooled = conn.connection
    cur = _cursor(pooled)
    try:
        yield cur
    except psycopg.Error as err:
        exc, invalidated = _translate(err, conn.dialect, pooled, cur)
        if invalidated:
            conn.invalidate(err)
        raise exc from err


@contextmanager
def raw_transaction(engine: Engine) -> Iterator[psycopg.Cursor]:
    """A pooled PostgreSQL connection's cursor in one transaction, committed on a clean exit.

    psycopg opens the transaction on the first statement; on an error the pool's reset on return rolls
    it back. Driver errors come out as SQLAlchemy's, as from ``conn.execute``.
    """
    pooled = checkout(engine)
    try:
        cur = _cursor(pooled)
        try:
            yield cur
            pooled.driver_connection.commit()
        except psycopg.Error as err:
            exc, invalidated = _translate(err, engine.dialect, pooled, cur)
            if invalidated:
                pooled.invalidate(err)
            raise exc from err
    finally:
        pooled.close()


class AutocommitConnections:
    """PostgreSQL connections kept in autocommit mode: each statement is its own transaction.

    Taken from the engine's pool once and detached from it, so that taking one and giving it back costs
    a list operation instead of the pool's checkout, reset and events. At most ``keep`` idle connections
    are kept; all are closed when the engine is disposed.
    """

    def __init__(self, engine: Engine, keep: int = 8) -> None:
        self._engine = engine
        self._keep = keep
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    @classmethod
    def of(cls, engine: Engine, name: str = "ledger", keep: int = 8) -> "AutocommitConnections":
        """The engine's one set named ``name``, made at first use and closed with the engine: every ledger
        (and check) made over the same engine shares it, so making many (the demo makes one per payment)
        never holds more than ``keep`` idle connections (one set per object kept them all until the engine
        was disposed: the server ran out of connections)."""
        sets = engine.__dict__.setdefault("_qenex_autocommit", {})
        found = sets.get(name)
        if found is None:
            found = sets.setdefault(name, cls(engine, keep=keep))
        return found

    def _connect(self) -> tuple[Any, psycopg.Cursor]:
        pooled = checkout(self._engine)
        pooled.detach()
        raw = pooled.dbapi_connection
        raw.autocommit = True
        return pooled, _int8_cursor(raw)

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor]:
        """A cursor on an idle autocommit connection (a new one if none is idle).

        Driver errors come out as SQLAlchemy's; a connection that broke is closed, not kept.
        """
        with self._lock:
            held = self._idle.pop() if self._idle else None
        pooled, cur = held or self._connect()
        try:
            yield cur
        except psycopg.Error as err:
            exc, _ = _translate(err, self._engine.dialect, pooled, cur)
            raise exc from err
        finally:
            raw = pooled.dbapi_connection
            kept = not raw.closed and raw.info.transaction_status == pq.TransactionStatus.IDLE
            if kept:
                with self._lock:
                    kept = len(self._idle) < self._keep
                    if kept:
                        self._idle.append((pooled, cur))
            if not kept:
                pooled.close()  # detached: really closed

    def close(self) -> None:
        """Close every idle connection (one in use goes back to the idle list, or is closed if broken)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for pooled, _cur in idle:
            pooled.close()
