"""Less server work per desk transfer (issue 9): the checked write inserts without ON CONFLICT the rows its read
found missing, a score already recorded for the id still ends in one score and a posting, and migration 0017
(BRIN on scores by time, free space on the fraud state's pages) equals the models and goes down and up."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select, text

from core.fraud.dbstate import state_write_params
from core.fraud.txn import Txn
from core.ledger.views import TransferRequest
from core.persistence import migrate
from core.persistence.models import Base
from core.persistence.models.fraud import FraudScore
from tests.ledger.test_desk_path import TELLER, _customers, _desk

TX = Txn("t1", "7:USD", "ACME", None, 12.5, int(datetime(2026, 3, 2, 9, tzinfo=timezone.utc).timestamp()), "desk",
         "dev-1")
ROW = [0.0] * 40


def test_the_write_inserts_plainly_what_the_read_found_missing():
    ctes, params = state_write_params(TX, ROW, 39, None, 5, frozenset({"cp"}))
    card, seen = ctes[1], ctes[2]
    assert card.startswith("fc AS (INSERT") and "ON CONFLICT" not in card  # no fraud_cards row was read
    assert "ON CONFLICT" not in seen and seen.count("(%s, %s, %s)") == 1  # the device only: the counterparty is seen
    assert params[-3:] == ["7:USD", "dev", "dev-1"]
    assert "ON CONFLICT" in ctes[0]  # bins: a counterparty's are other cards' too

    ctes, _ = state_write_params(TX, ROW, 39, 1234, 5, frozenset({"cp", "dev"}))
    assert len(ctes) == 2 and "ON CONFLICT (card) DO UPDATE" in ctes[1]  # read: checked against its version

    ctes, params = state_write_params(TX, ROW, 39, None, 5)  # not known (no read): everything upserted, as before
    assert all("ON CONFLICT" in c for c in ctes if "INSERT" in c) and params[-6:] == ["7:USD", "cp", "ACME",
                                                                                     "7:USD", "dev", "dev-1"]


def test_a_transfer_whose_id_already_has_a_score_posts_with_one_score(engine, tmp_path):
    """A score recorded for the id (a decline, then the same id again once the customer has explained) makes
    the plain insert of the desk's write fail; the transfer then goes the locking way and posts."""
    ledger = _desk(engine, tmp_path)
    (payer,), (payee,) = _customers(ledger, 2)
    with engine.begin() as conn:
        conn.execute(insert(FraudScore).values(transfer_id="again", score=0.1, decision="approve", reasons="[]",
                                               model_version=None, created_at=datetime.now(timezone.utc)))
    result = ledger.transfer(TELLER, TransferRequest("again", payer, payee, 10_00, "USD"))
    assert result.state == "posted"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FraudScore).where(FraudScore.transfer_id == "again")) == 1
    assert ledger.transfer(TELLER, TransferRequest("again", payer, payee, 10_00, "USD")).state == "posted"  # a replay


_MINE = {"fraud_scores", "fraud_cards", "fraud_bins"}


def _diff(engine) -> list:  # noqa: ANN001
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    return [d for d in diff if _MINE & set(str(d).replace("'", " ").replace(",", " ").replace("(", " ").split())]


def _pg_state(engine) -> tuple:  # noqa: ANN001
    with engine.connect() as conn:
        index = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_fraud_scores_created' "
                                 "AND schemaname = current_schema()"))
        options = dict(conn.execute(text(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('fraud_cards', 'fraud_bins') "
            "AND relnamespace = current_schema()::regnamespace")).all())
    return "USING brin" in index, options["fraud_cards"], options["fraud_bins"]


def test_migration_0017_equals_the_models_and_goes_down_and_up(engine):
    assert _diff(engine) == []
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        assert _pg_state(engine) == (True, ["fillfactor=70"], ["fillfactor=85"])
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016")
    if postgres:
        assert _pg_state(engine) == (False, None, None)
    migrate.upgrade(engine)
    assert _diff(engine) == []
    if postgres:
        assert _pg_state(engine) == (True, ["fillfactor=70"], ["fillfactor=85"])
