"""self-improving fraud loop: versioned fraud settings, retrain runs, recommendations

Revision ID: 0014
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

import core.persistence.base

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc():
    return core.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fraud_settings",
        sa.Column("id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_settings")),
        sa.UniqueConstraint("version", name=op.f("uq_fraud_settings_version")),
    )
    op.create_index("ix_fraud_settings_active_version", "fraud_settings", ["active", "version"])
    op.create_table(
        "ai_runs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("challenger", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.CheckConstraint("status in ('running','done','failed','cancelled')", name=op.f("ck_ai_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_runs")),
    )
    op.create_index("ix_ai_runs_started", "ai_runs", ["started_at"])
    op.create_table(
        "ai_recommendations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(96), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("rolled_back_at", _utc(), nullable=True),
        sa.Column("rolled_back_by", sa.String(64), nullable=True),
        sa.CheckConstraint("status in ('open','accepted','rejected','rolled_back','superseded')",
                           name=op.f("ck_ai_recommendations_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_recommendations")),
    )
    op.create_index("ix_ai_recommendations_status", "ai_recommendations", ["status", "id"])


def downgrade() -> None:
    op.drop_table("ai_recommendations")
    op.drop_table("ai_runs")
    op.drop_table("fraud_settings")
