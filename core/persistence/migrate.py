"""Apply the Alembic migrations programmatically (``qenex db upgrade`` and at start-up)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call on every start.

    At ``head`` it then checks that this version reads every stored currency at the exponent its amounts
    were written with (``core.ledger.exponents.check``; raises ExponentChanged otherwise).
    """
    from core.ledger import exponents

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if engine.dialect.name == "postgresql":
            # Several desks may start at once: one migrates, the others wait and then find nothing to do.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7423001)")
        command.upgrade(cfg, revision)
        if revision == "head":
            exponents.check(conn)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Autogenerate a migration (developer tool)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
