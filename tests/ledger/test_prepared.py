"""core.persistence.prepared: the desk path's statements run below psycopg's cursor, with the cursor's answers."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from core.persistence import prepared
from core.persistence.driver import _int8_cursor

pytestmark = pytest.mark.postgres

_SQL = ("SELECT %s::bigint, %s::text, %s::jsonb, %s::timestamptz, NULL::bigint, x FROM generate_series(1, %s) x "
        "WHERE %s::int IS NULL OR x > 0")


@contextmanager
def _cursor(engine, autocommit: bool = True):  # noqa: ANN001
    pooled = engine.raw_connection()
    try:
        raw = pooled.driver_connection
        raw.autocommit = autocommit
        yield _int8_cursor(raw)
    finally:
        pooled.driver_connection.rollback()
        pooled.driver_connection.autocommit = False
        pooled.close()


def _ours(cur) -> list[str]:  # noqa: ANN001
    with cur.connection.cursor() as other:
        other.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE '\\_qx\\_%%' ORDER BY name")
        return [r[0] for r in other.fetchall()]


def test_rows_equal_the_cursors_and_the_statement_is_prepared_once(pg_engine):
    from psycopg.types.json import Jsonb

    at = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    params = [2**40, "ünï", Jsonb({"id": "t1", "n": [1, 2]}), at, 3, None]
    with _cursor(pg_engine) as cur:
        cur.execute(_SQL, params)
        expected = cur.fetchall()
        for _ in range(3):
            assert prepared.run(cur, _SQL, params) == expected
        assert len(_ours(cur)) == 1
        assert prepared.run(cur, _SQL, [1, "a", Jsonb({}), at, 0, None]) == []  # no rows
        assert prepared.run(cur, "SELECT pg_notify('qenex.test', %s)", ["x"]) == [("",)]
        assert len(_ours(cur)) == 2
        assert prepared.run(cur, "CREATE TEMP TABLE qx_t (id int PRIMARY KEY)") == []  # a command: no rows


def test_a_server_error_is_the_cursors_and_the_connection_stays_usable(pg_engine):
    import psycopg
    from psycopg import pq

    with _cursor(pg_engine) as cur:
        prepared.run(cur, "CREATE TEMP TABLE qx_u (id int PRIMARY KEY)")
        insert = "INSERT INTO qx_u VALUES (%s)"
        prepared.run(cur, insert, [1])
        with pytest.raises(psycopg.errors.UniqueViolation) as caught:
            prepared.run(cur, insert, [1])
        assert caught.value.sqlstate == "23505" and caught.value.diag.constraint_name == "qx_u_pkey"
        with pytest.raises(psycopg.errors.SerializationFailure):  # the desk's retry signal, as the write raises it
            prepared.run(cur, "DO $$ BEGIN RAISE EXCEPTION 'changed' USING ERRCODE = '40001'; END $$")
        assert cur.connection.info.transaction_status == pq.TransactionStatus.IDLE
        assert prepared.run(cur, "SELECT count(*) FROM qx_u") == [(1,)]


def test_statements_deallocated_by_someone_else_are_prepared_again(pg_engine):
    with _cursor(pg_engine) as cur:
        assert prepared.run(cur, "SELECT %s::int + 1", [1]) == [(2,)]
        cur.execute("DEALLOCATE ALL")
        assert prepared.run(cur, "SELECT %s::int + 1", [2]) == [(3,)]
        assert len(_ours(cur)) == 1


def test_at_most_max_prepared_statements_are_kept(pg_engine, monkeypatch):
    monkeypatch.setattr(prepared, "MAX_PREPARED", 2)
    with _cursor(pg_engine) as cur:
        for i in range(5):
            assert prepared.run(cur, f"SELECT %s::int + {i}", [1]) == [(1 + i,)]
        assert len(_ours(cur)) == 2
        assert prepared.run(cur, "SELECT %s::int + 4", [1]) == [(5,)]  # the most recent is still there
        assert len(_ours(cur)) == 2


def test_in_a_transaction_the_cursor_runs_it(pg_engine):
    from psycopg import pq

    with _cursor(pg_engine, autocommit=False) as cur:
        assert prepared.run(cur, "SELECT %s::int", [7]) == [(7,)]
        assert cur.connection.info.transaction_status == pq.TransactionStatus.INTRANS  # psycopg's BEGIN
        assert prepared.run(cur, "CREATE TEMP TABLE qx_v (id int)") == []
        assert _ours(cur) == []


def test_a_psycopg_without_these_pieces_gets_the_cursors_execute(pg_engine, monkeypatch):
    """psycopg's private placeholder conversion moved in a later release: the same rows, through the cursor."""
    monkeypatch.setattr(prepared, "PostgresQuery", None)
    with _cursor(pg_engine) as cur:
        rows = prepared.run(cur, "SELECT %s::bigint, x FROM generate_series(1, %s) x", [7, 3])
        assert rows == [(7, 1), (7, 2), (7, 3)] and _ours(cur) == []
