"""Migration 0011 on both backends: the drawer and standing-instruction tables equal the models, and it
goes down and up again."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.persistence import migrate
from core.persistence.models import Base

MINE = {"drawers", "drawer_sessions", "cash_reports", "standing_instructions", "standing_runs"}


def _diff(engine) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    return [d for d in diff if MINE & set(str(d).replace("'", " ").replace(",", " ").replace("(", " ").split())]


def test_schema_matches_models_and_goes_down_and_up(engine):
    assert _diff(engine) == []
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert len(_diff(engine)) >= len(MINE)  # the tables are gone
    migrate.upgrade(engine)
    assert _diff(engine) == []
