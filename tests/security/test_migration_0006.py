"""Migration 0006 (users choose their own password) on both backends: existing users keep signing in, the schema
equals the models, and it goes back down."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from core.persistence import migrate
from core.persistence.models import Base


def _downgrade(engine, revision: str) -> None:  # noqa: ANN001
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_existing_users_are_not_asked_and_the_schema_matches(engine):
    _downgrade(engine, "0010")
    assert "must_change_password" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, role, status, password_hash, totp_secret, failed_attempts, "
                          "lockouts, created_at) VALUES ('old', 'teller', 'active', 'x', 'y', 0, 0, "
                          "CURRENT_TIMESTAMP)"))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT must_change_password FROM users WHERE username = 'old'")).scalar_one() in (
            False, 0)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert [d for d in diff if "users" in str(d)] == []
