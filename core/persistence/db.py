"""Engine creation for SQLite (one machine) and PostgreSQL (shared by desks)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.errors import ConfigurationError
from core.persistence.outage import quiet_pool_logging, translate_errors


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and write transactions that lock at BEGIN."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"QENEX_DATABASE_URL is not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_pragmas(engine)
        quiet_pool_logging(engine)
        translate_errors(engine)
        return engine
    if backend == "postgresql":
        # No pre-ping: it costs a round trip per transaction; a dropped connection is retried by Ledger.run.
        engine = create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
        quiet_pool_logging(engine)  # a connection killed under the pool is one log line, not a traceback
        translate_errors(engine)  # a lost connection is DatabaseUnavailable, never SQL in a message
        return engine
    raise ConfigurationError(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        # Take the write lock at BEGIN so two writers never interleave read-then-write (serializable);
        # a connection marked ``qenex_read_only`` (a long read: a retrain's history) takes none, so writers
        # never wait for it (WAL gives it a consistent snapshot).
        read_only = conn.get_execution_options().get("qenex_read_only")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
