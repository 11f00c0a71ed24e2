"""optimistic posting: a PostgreSQL function that refuses a write based on a stale read of an account

Revision ID: 0004_optimistic_posting
Revises: 0003_fraud

The desk path on PostgreSQL reads two accounts without locking them, applies the rules in Python and
writes in one statement that must find each account row unchanged (same ``xmin``). A changed row makes
the statement call ``qenex_stale_account``, which raises a serialization failure (SQLSTATE 40001): the
whole statement is undone and the ledger retries. SQLite needs nothing: its writers are serialized.
"""
from alembic import op

revision = "0004_optimistic_posting"
down_revision = "0003_fraud"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION qenex_stale_account(account_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'account % changed since it was read', account_id "
            "USING ERRCODE = 'serialization_failure'; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION qenex_stale_account(bigint)")
