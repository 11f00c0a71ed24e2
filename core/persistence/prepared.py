"""One autocommit statement, prepared once per connection, run below psycopg's cursor: its rows as tuples.

The desk posting path (core.ledger.desk) runs three statements per transfer on an autocommit connection
(core.persistence.driver.AutocommitConnections): the read, the checked write and the live update. Through
``Cursor.execute`` each costs the cursor's bookkeeping (its prepared-statement manager, result set-up,
then a Python call per row fetched): measured at about a tenth of the desk process's CPU per transfer (issue
9). ``run`` does the same work with psycopg's own pieces and nothing else: the placeholders converted and
the parameters dumped by the cursor's adapters (ints as int8, as ``driver._int8_cursor`` registers), the
statement prepared once per connection and parameter types (as psycopg keys its own), sent and awaited
with psycopg's generator and ``Connection.wait`` (the GIL released while waiting; Ctrl-C cancels the query
in the server, as for a cursor), the rows loaded by the same loaders, a server error raised as the same
``psycopg.errors`` class. Statements are named ``_qx_N``, N unique in the process (psycopg names its own ``_pg3_N``).

A connection in a transaction (not autocommit) gets the cursor's own ``execute``: psycopg opens the
transaction there; so does one with psycopg's prepared statements turned off, and every connection when the
installed psycopg no longer has these pieces where 3.2 to 3.3 keep them.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors, pq

try:  # psycopg's own pieces; a psycopg that moved them gets the cursor's execute (slower, the same results)
    from psycopg import generators
    from psycopg._queries import PostgresQuery  # noqa: PLC2701 - the cursor's own placeholder conversion (cached)
    from psycopg.adapt import Transformer
except ImportError:  # pragma: no cover - depends on the installed psycopg
    PostgresQuery = None  # type: ignore[assignment,misc]

MAX_PREPARED = 64  # per connection; the least recently used is deallocated beyond it
_FATAL = pq.ExecStatus.FATAL_ERROR
_ROWS = pq.ExecStatus.TUPLES_OK
_serial = itertools.count()  # statement names unique in the process, so never taken on any connection
# per connection: (query, parameter types) -> name of its prepared statement, least recently used first
_names: "weakref.WeakKeyDictionary[psycopg.Connection, dict[tuple[bytes, tuple], bytes]]" = weakref.WeakKeyDictionary()
_transformers: "weakref.WeakKeyDictionary[psycopg.Cursor, Transformer]" = weakref.WeakKeyDictionary()  # per cursor


def run(cur: psycopg.Cursor, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Execute ``sql`` (``%s`` placeholders) with ``params`` on ``cur``'s connection; the rows it returns.

    Raises what ``cur.execute`` raises (psycopg's exceptions). Without autocommit, or with psycopg's
    prepared statements turned off (``prepare_threshold`` None, e.g. behind a transaction pooler):
    ``cur.execute``.
    """
    conn = cur.connection
    if not conn.autocommit or conn.prepare_threshold is None or PostgresQuery is None:
        cur.execute(sql, params)
        return cur.fetchall() if cur.pgresult is not None and cur.pgresult.status == _ROWS else []
    tx = _transformers.get(cur)
    if tx is None:
        tx = _transformers[cur] = Transformer(cur)
    pgq = PostgresQuery(tx)
    pgq.convert(sql, params)
    pgconn = conn.pgconn
    with conn.lock:
        names = _names.get(conn)
        if names is None:
            names = _names[conn] = {}
        result = _execute(conn, names, pgq)
        if result.status == _FATAL and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000":
            names.clear()  # our statements are gone (DISCARD ALL, DEALLOCATE ALL): prepared again, once
            result = _execute(conn, names, pgq)
    if result.status == _FATAL:
        raise errors.error_from_result(result, encoding=conn.info.encoding)
    if result.status != _ROWS:
        return []
    tx.set_pgresult(result)
    return tx.load_rows(0, result.ntuples, tuple)


def _execute(conn: psycopg.Connection, names: dict, pgq: PostgresQuery) -> pq.abc.PGresult:
    """Run ``pgq`` as a prepared statement (prepared now if needed); its last result. Lock held."""
    pgconn = conn.pgconn
    key = (pgq.query, pgq.types)
    name = names.pop(key, None)
    if name is None:
        if len(names) >= MAX_PREPARED:
            _wait(conn, b"DEALLOCATE " + names.pop(next(iter(names))))
        name = b"_qx_%d" % next(_serial)
        pgconn.send_prepare(name, pgq.query, param_types=pgq.types)
        _wait(conn, None)
    names[key] = name  # the most recently used last
    pgconn.send_query_prepared(name, pgq.params, param_formats=pgq.formats)
    return conn.wait(generators.execute(pgconn))[-1]


def _wait(conn: psycopg.Connection, command: bytes | None) -> None:
    """Send ``command`` (if any), wait for its results; a server error raised."""
    pgconn = conn.pgconn
    if command is not None:
        pgconn.send_query(command)
    for result in conn.wait(generators.execute(pgconn)):
        if result.status == _FATAL:
            raise errors.error_from_result(result, encoding=conn.info.encoding)
