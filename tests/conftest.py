"""Shared fixtures: a freshly migrated database on SQLite and on PostgreSQL.

PostgreSQL comes from QENEX_TEST_DATABASE_URL (default: the local server's ``test`` database).
Without a reachable server those tests skip with a loud reason; under CI=true they fail instead.
"""
from __future__ import annotations

import os
import uuid
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import create_engine, text

from core.persistence import migrate
from core.persistence.db import make_engine

PG_URL = os.environ.get("QENEX_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_pg_state: dict[str, str | None] = {}


def _pg_unreachable_reason() -> str | None:
    if "reason" not in _pg_state:
        try:
            probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with probe.connect() as conn:
                conn.execute(text("select 1"))
            probe.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} is not reachable ({type(exc).__name__}: {exc})".splitlines()[0]
    return _pg_state["reason"]


def require_postgres() -> str:
    """The PostgreSQL URL, or skip loudly (fail under CI=true) when no server answers."""
    reason = _pg_unreachable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}; PostgreSQL tests must run in CI")
        warnings.warn(f"SKIPPING PostgreSQL tests: {reason}", stacklevel=1)
        pytest.skip(f"SKIPPED LOUDLY: {reason}")
    return PG_URL


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    reason = _pg_state.get("reason")
    if reason:
        terminalreporter.write_line(f"WARNING: PostgreSQL tests were skipped: {reason}", red=True, bold=True)


def _fresh_pg_engine(pool_size: int = 10):
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    engine = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}", pool_size=pool_size)
    return engine, admin, schema


def _drop_pg(engine, admin, schema) -> None:  # noqa: ANN001
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine():
    engine, admin, schema = _fresh_pg_engine(pool_size=12)
    migrate.upgrade(engine)
    yield engine
    _drop_pg(engine, admin, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    yield request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
