"""Migration 0019: a maker's withdrawal is a state of its own. Rows written before it (stored as "rejected" and
told apart only by the words of their result) become "withdrawn"; a held transfer someone else voided stays
"rejected"; the schema equals the models, and it goes down and up again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select

from core.persistence import migrate
from core.persistence.models import ApprovalRequest, Base

R = ApprovalRequest.__table__
NOW = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
OLD = {1: ("rejected", "tina", "withdrawn by the maker; held funds released"),
       2: ("rejected", "tina", "withdrawn: the held transfer was voided by tina"),
       3: ("rejected", "anna", "withdrawn: the held transfer was voided by anna"),
       4: ("rejected", "sam", "held funds released")}


def _migrate(engine, revision: str) -> None:  # noqa: ANN001
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _rows(engine) -> dict:  # noqa: ANN001
    with engine.connect() as conn:
        return {r.id: (r.state, r.checker, r.result) for r in conn.execute(
            select(R.c.id, R.c.state, R.c.checker, R.c.result).order_by(R.c.id))}


def _diff(engine) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    return [d for d in diff if "approval_requests" in str(d)]


def test_0019_gives_withdrawals_their_own_state_and_goes_down_and_up(engine):
    assert _diff(engine) == []
    _migrate(engine, "0018")
    with engine.begin() as conn:
        for i, (state, checker, result) in OLD.items():
            conn.execute(insert(R).values(id=i, kind="freeze", state=state, account=None, summary="s", note="",
                                          maker="tina", maker_role="teller", created_at=NOW,
                                          expires_at=NOW + timedelta(hours=2), checker=checker, decided_at=NOW,
                                          result=result))
    migrate.upgrade(engine)
    assert _diff(engine) == []
    assert _rows(engine) == {1: ("withdrawn", "tina", "held funds released"),
                             2: ("withdrawn", "tina", "the held transfer was voided by its maker"),
                             3: ("rejected", "anna", "the held transfer was voided by anna"),
                             4: ("rejected", "sam", "held funds released")}
    _migrate(engine, "0018")
    assert _rows(engine) == OLD
    migrate.upgrade(engine)
    assert _rows(engine)[1][0] == "withdrawn"
