"""approvals: four-eyes requests (maker, checker, held funds, expiry) and per-role limits

Revision ID: 0009
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = core.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("account", sa.String(20), nullable=True),
        sa.Column("counter_account", sa.String(20), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("limit_amount", sa.BigInteger(), nullable=True),
        sa.Column("transfer_id", sa.String(64), nullable=True),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("maker", sa.String(64), nullable=False),
        sa.Column("maker_role", sa.String(16), nullable=False),
        sa.Column("maker_device", sa.String(64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("checker", sa.String(64), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decision_note", sa.String(200), nullable=True),
        sa.Column("result", sa.String(200), nullable=True),
        sa.CheckConstraint("kind in ('transfer','gl','correction','freeze','close','hold_release')",
                           name=op.f("ck_approval_requests_kind")),
        sa.CheckConstraint("state in ('pending','approved','rejected','expired','failed')",
                           name=op.f("ck_approval_requests_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_approval_requests_transfer_id")),
    )
    op.create_index("ix_approval_requests_state_id", "approval_requests", ["state", "id"])
    op.create_index("ix_approval_requests_account", "approval_requests", ["account"])
    op.create_index("ix_approval_requests_maker_id", "approval_requests", ["maker", "id"])
    op.create_table(
        "approval_limits",
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTC, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_approval_limits_amount")),
        sa.PrimaryKeyConstraint("role", "currency", name=op.f("pk_approval_limits")),
    )


def downgrade() -> None:
    op.drop_table("approval_limits")
    op.drop_index("ix_approval_requests_maker_id", table_name="approval_requests")
    op.drop_index("ix_approval_requests_account", table_name="approval_requests")
    op.drop_index("ix_approval_requests_state_id", table_name="approval_requests")
    op.drop_table("approval_requests")
