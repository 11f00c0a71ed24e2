"""fraud: feature state, model registry, scores, alerts and labels

Revision ID: 0003_fraud
Revises: 0001_ledger
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base

revision = "0003_fraud"
down_revision = "0002_security"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc():
    return core.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fraud_bins",
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("sumsq", sa.Float(), nullable=False),
        sa.Column("frauds", sa.Integer(), nullable=False),
        sa.Column("outliers", sa.Integer(), nullable=False),
        sa.Column("outlier_total", sa.Float(), nullable=False),
        sa.Column("max_ratio", sa.Float(), nullable=False),
        sa.CheckConstraint("grain in ('q','h','d')", name=op.f("ck_fraud_bins_grain")),
        sa.PrimaryKeyConstraint("kind", "key", "grain", "slot", name=op.f("pk_fraud_bins")),
    )
    op.create_table(
        "fraud_seen",
        sa.Column("card", sa.String(96), nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("card", "kind", "item", name=op.f("pk_fraud_seen")),
    )
    op.create_table(
        "fraud_cards",
        sa.Column("card", sa.String(96), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("card", name=op.f("pk_fraud_cards")),
    )
    op.create_table(
        "fraud_models",
        sa.Column("id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("trained_from", _utc(), nullable=False),
        sa.Column("trained_to", _utc(), nullable=False),
        sa.Column("label_delay_days", sa.Integer(), nullable=False),
        sa.Column("feature_names", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_models")),
        sa.UniqueConstraint("version", name=op.f("uq_fraud_models_version")),
    )
    with op.batch_alter_table("fraud_models") as batch_op:
        batch_op.create_index("ix_fraud_models_active_version", ["active", "version"], unique=False)
    op.create_table(
        "fraud_scores",
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(20), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("decision in ('approve','review','decline')", name=op.f("ck_fraud_scores_decision")),
        sa.PrimaryKeyConstraint("transfer_id", name=op.f("pk_fraud_scores")),
    )
    with op.batch_alter_table("fraud_scores") as batch_op:
        batch_op.create_index("ix_fraud_scores_created", ["created_at"], unique=False)
    op.create_table(
        "fraud_alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "status in ('open','investigating','fraud','legit','closed')", name=op.f("ck_fraud_alerts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_alerts")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_fraud_alerts_transfer_id")),
    )
    with op.batch_alter_table("fraud_alerts") as batch_op:
        batch_op.create_index("ix_fraud_alerts_status_created", ["status", "created_at"], unique=False)
    op.create_table(
        "fraud_labels",
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("is_fraud", sa.Boolean(), nullable=False),
        sa.Column("labelled_at", _utc(), nullable=False),
        sa.Column("labelled_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id", name=op.f("pk_fraud_labels")),
    )


def downgrade() -> None:
    op.drop_table("fraud_labels")
    with op.batch_alter_table("fraud_alerts") as batch_op:
        batch_op.drop_index("ix_fraud_alerts_status_created")
    op.drop_table("fraud_alerts")
    with op.batch_alter_table("fraud_scores") as batch_op:
        batch_op.drop_index("ix_fraud_scores_created")
    op.drop_table("fraud_scores")
    with op.batch_alter_table("fraud_models") as batch_op:
        batch_op.drop_index("ix_fraud_models_active_version")
    op.drop_table("fraud_models")
    op.drop_table("fraud_cards")
    op.drop_table("fraud_seen")
    op.drop_table("fraud_bins")
