"""Shared fixtures: a freshly migrated database on SQLite and on PostgreSQL.

PostgreSQL comes from QENEX_TEST_DATABASE_URL (default: the local server's ``test`` database).
Without a reachable server those tests skip with a loud reason; under CI=true they fail instead.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.persistence import migrate
from core.persistence.db import make_engine

CLI_PASSWORD = "correct horse battery"  # the password the command-line tests give their users


@pytest.fixture(autouse=True)
def _cli_password(monkeypatch):
    """``qenex ... --as USER`` is a sign-in (app.commands.person): the tests' users prove who they are with
    ``QENEX_PASSWORD``, as a script would (a test whose users have another password sets its own)."""
    monkeypatch.setenv("QENEX_PASSWORD", CLI_PASSWORD)
    monkeypatch.delenv("QENEX_TOTP_CODE", raising=False)


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


def _fresh_pg_engine(pool_size: int = 10, *, create: bool = True):
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    if create:
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


# -- migrated templates ----------------------------------------------------------------------------
# Running every Alembic migration for each test costs about a second on PostgreSQL (much more on a busy
# machine) and most of a CI run. Each session migrates ONE database per backend for real, then every
# test gets a copy: the SQLite file copied, the PostgreSQL schema replayed from pg_dump's SQL of it.
_SCHEMA_TOKEN = "qenex_template_schema_token"
_templates: dict[str, object] = {}


def _sqlite_template(folder: Path) -> Path:
    if "sqlite" not in _templates:
        path = folder / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        # Fold the write-ahead log into the file outside any transaction, so a plain copy is complete.
        raw = sqlite3.connect(path, isolation_level=None)
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        _templates["sqlite"] = path
    return _templates["sqlite"]  # type: ignore[return-value]


def _pg_template_sql() -> str | None:
    """pg_dump's SQL of a freshly migrated schema (schema name as a token), or None without pg_dump."""
    if "pg" not in _templates:
        engine, admin, schema = _fresh_pg_engine(pool_size=1)
        try:
            migrate.upgrade(engine)
            url = make_url(require_postgres())
            cmd = [shutil.which("pg_dump") or "pg_dump", "--schema", schema, "--no-owner", "--no-privileges",
                   "--inserts", "--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
                   "--username", url.username or "postgres", url.database or "postgres"]
            env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
            ok = done.returncode == 0 and schema in done.stdout
            # psql meta-commands (\restrict …) are not SQL; the schema name is unique enough to replace.
            sql = "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))
            _templates["pg"] = sql.replace(schema, _SCHEMA_TOKEN) if ok else None
        except (OSError, subprocess.SubprocessError):
            _templates["pg"] = None
        finally:
            _drop_pg(engine, admin, schema)
    return _templates["pg"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def _template_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("templates")


@pytest.fixture
def sqlite_engine(tmp_path, _template_folder):
    template = sqlite3.connect(_sqlite_template(_template_folder))
    copy = sqlite3.connect(tmp_path / "bank.db")
    try:
        template.backup(copy)  # SQLite's own online copy: consistent whatever the journal holds
    finally:
        copy.close()
        template.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine():
    sql = _pg_template_sql()
    if sql is None:  # no pg_dump here: migrate each schema (slow but the same)
        engine, admin, schema = _fresh_pg_engine(pool_size=12)
        migrate.upgrade(engine)
    else:
        engine, admin, schema = _fresh_pg_engine(pool_size=12, create=False)
        raw = admin.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(sql.replace(_SCHEMA_TOKEN, schema))
            raw.commit()
        finally:
            raw.close()
    yield engine
    _drop_pg(engine, admin, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    yield request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
