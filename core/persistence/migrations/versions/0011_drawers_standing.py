"""cash drawers (sessions, CTR flags) and standing instructions (with their runs)

Revision ID: 0011
Revises: 0009

Each drawer is a GL account (kind ``drawer``); a session holds its opening float, blind count and
over/short; ``cash_reports`` lists cash above the reporting threshold for a currency transaction
report. Standing instructions run once per due date: ``standing_runs`` is unique per (instruction,
due date), so two desks' jobs never run the same date twice.
"""
import sqlalchemy as sa
from alembic import op

import core.persistence.base

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc():
    return core.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drawers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawers")),
        sa.UniqueConstraint("name", "currency", name=op.f("uq_drawers_name")),
        sa.UniqueConstraint("account_id", name=op.f("uq_drawers_account_id")),
    )
    op.create_table(
        "drawer_sessions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("drawer_id", sa.BigInteger(), nullable=False),
        sa.Column("teller", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("opening_counts", sa.Text(), nullable=False),
        sa.Column("counted_at", _utc(), nullable=True),
        sa.Column("counted", sa.BigInteger(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("difference", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("supervisor", sa.String(64), nullable=True),
        sa.Column("supervisor_note", sa.String(500), nullable=True),
        sa.CheckConstraint("status in ('open','counted','closed')", name=op.f("ck_drawer_sessions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawer_sessions")),
    )
    op.create_index("ix_drawer_sessions_drawer_id", "drawer_sessions", ["drawer_id"])
    live = sa.text("status <> 'closed'")
    op.create_index("uq_drawer_sessions_live_drawer", "drawer_sessions", ["drawer_id"], unique=True,
                    postgresql_where=live, sqlite_where=live)
    op.create_index("uq_drawer_sessions_live_teller", "drawer_sessions", ["teller", "currency"], unique=True,
                    postgresql_where=live, sqlite_where=live)
    op.create_table(
        "cash_reports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("id_type", sa.String(20), nullable=False),
        sa.Column("id_number", sa.String(40), nullable=False),
        sa.Column("teller", sa.String(64), nullable=False),
        sa.Column("flagged_at", _utc(), nullable=False),
        sa.Column("reported_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_reports")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_cash_reports_transfer_id")),
    )
    op.create_index("ix_cash_reports_session_id", "cash_reports", ["session_id"])
    op.create_index("ix_cash_reports_flagged_at", "cash_reports", ["flagged_at"])
    op.create_table(
        "standing_instructions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("description", sa.String(140), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_standing_instructions_amount")),
        sa.CheckConstraint("frequency in ('weekly','monthly')", name=op.f("ck_standing_instructions_frequency")),
        sa.CheckConstraint("status in ('active','cancelled')", name=op.f("ck_standing_instructions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_instructions")),
    )
    op.create_index("ix_standing_instructions_customer_id", "standing_instructions", ["customer_id"])
    op.create_index("ix_standing_instructions_debit_account_id", "standing_instructions", ["debit_account_id"])
    op.create_table(
        "standing_runs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("ran_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("state in ('posted','held','failed')", name=op.f("ck_standing_runs_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_runs")),
        sa.UniqueConstraint("instruction_id", "due_date", name=op.f("uq_standing_runs_due")),
    )


def downgrade() -> None:
    op.drop_table("standing_runs")
    op.drop_index("ix_standing_instructions_debit_account_id", table_name="standing_instructions")
    op.drop_index("ix_standing_instructions_customer_id", table_name="standing_instructions")
    op.drop_table("standing_instructions")
    op.drop_index("ix_cash_reports_flagged_at", table_name="cash_reports")
    op.drop_index("ix_cash_reports_session_id", table_name="cash_reports")
    op.drop_table("cash_reports")
    op.drop_index("uq_drawer_sessions_live_teller", table_name="drawer_sessions")
    op.drop_index("uq_drawer_sessions_live_drawer", table_name="drawer_sessions")
    op.drop_index("ix_drawer_sessions_drawer_id", table_name="drawer_sessions")
    op.drop_table("drawer_sessions")
    op.drop_table("drawers")
