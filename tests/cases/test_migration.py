"""Migration 0010 on both backends: old alerts carried over, the schema equals the models, and back down."""
from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select

from core.persistence import migrate
from core.persistence.base import utcnow
from core.persistence.models import Base, FraudAlert


def test_old_alerts_carry_over_and_schema_matches_models(engine):
    migrate.upgrade(engine, "0010")
    migrate.upgrade(engine, "0004_optimistic_posting")  # no-op: already there; go down first
    from alembic import command

    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    now = utcnow()
    with engine.begin() as conn:
        for i, status in enumerate(("open", "investigating", "fraud", "legit", "closed")):
            conn.exec_driver_sql(
                "INSERT INTO fraud_alerts (transfer_id, score, decision, reasons, status, created_at) "
                f"VALUES ('t{i}', {0.5 + i / 10}, 'review', '[]', '{status}', '{now.isoformat(' ')[:19]}')")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = {r.transfer_id: r for r in conn.execute(select(FraudAlert))}
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert [rows[f"t{i}"].status for i in range(5)] == ["open", "open", "closed", "closed", "closed"]
    assert rows["t2"].outcome == "TRUE_POSITIVE" and rows["t3"].outcome == "FALSE_POSITIVE"
    assert rows["t0"].band == "low" and rows["t4"].band == "high"
    assert rows["t4"].due_at - rows["t4"].created_at == timedelta(hours=1)
    mine = {"fraud_alerts", "fraud_cases", "fraud_events", "fraud_case_files", "fraud_suppressions",
            "fraud_alert_links", "fraud_sla_bands", "customer_activity"}
    assert [d for d in diff if mine & set(str(d).replace("'", " ").replace(",", " ").split())] == []
