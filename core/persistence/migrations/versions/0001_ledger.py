"""ledger

Revision ID: 0001_ledger
Revises: 
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base


revision = '0001_ledger'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('overdraft_limit', sa.BigInteger(), nullable=True),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('open','frozen','closed')", name=op.f('ck_accounts_status')),
    sa.CheckConstraint('debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0 and credits_pending >= 0', name=op.f('ck_accounts_totals')),
    sa.CheckConstraint('overdraft_limit is null or overdraft_limit >= 0', name=op.f('ck_accounts_overdraft')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_accounts_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('number', name=op.f('uq_accounts_number'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_customer_id'), ['customer_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Balance updates rewrite account rows constantly: free space on each page keeps them HOT updates.
        op.execute("ALTER TABLE accounts SET (fillfactor = 70)")

    op.create_table('transfers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('debit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('credit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('pending_id', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.String(length=64), nullable=True),
    sa.Column('expires_at', core.persistence.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('counterparty', sa.String(length=64), nullable=True),
    sa.Column('counterparty_country', sa.String(length=2), nullable=True),
    sa.Column('device', sa.String(length=64), nullable=True),
    sa.Column('link_id', sa.String(length=64), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('single','pending','post_pending','void_pending')", name=op.f('ck_transfers_kind')),
    sa.CheckConstraint("state in ('posted','pending','voided','expired','resolved')", name=op.f('ck_transfers_state')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_transfers_amount')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_transfers_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index('ix_transfers_open_holds', ['expires_at'], unique=False,
                              postgresql_where=sa.text("state = 'pending'"), sqlite_where=sa.text("state = 'pending'"))
        batch_op.create_index('ix_transfers_reverses', ['reverses_id'], unique=False,
                              postgresql_where=sa.text("reverses_id IS NOT NULL"),
                              sqlite_where=sa.text("reverses_id IS NOT NULL"))

    op.create_table('entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_account_id_id', ['account_id', 'id'], unique=False)
    _immutable_entries()



def _immutable_entries() -> None:
    """Entries are never changed or removed: the database itself refuses it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION qenex_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'ledger entries are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries "
            "FOR EACH ROW EXECUTE FUNCTION qenex_entries_immutable()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER entries_no_{event.lower()} BEFORE {event} ON entries "
                "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END"
            )


def downgrade() -> None:
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_account_id_id')

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER entries_immutable ON entries")
        op.execute("DROP FUNCTION qenex_entries_immutable()")
    else:
        op.execute("DROP TRIGGER entries_no_update")
        op.execute("DROP TRIGGER entries_no_delete")
    op.drop_table('entries')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_reverses')
        batch_op.drop_index('ix_transfers_open_holds')

    op.drop_table('transfers')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_customer_id'))

    op.drop_table('accounts')
    op.drop_table('customers')
