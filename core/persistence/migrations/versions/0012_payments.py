"""payments: card payments, events, card vault, payment orders

Revision ID: 0012
Revises: 0004_optimistic_posting
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base


revision = '0012'
down_revision = '0004_optimistic_posting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('provider_event', sa.String(length=64), nullable=True),
    sa.Column('transfer_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events')),
    sa.UniqueConstraint('provider_event', name=op.f('uq_payment_events_provider_event'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index('ix_payment_events_payment_id_id', ['payment_id', 'id'], unique=False)

    op.create_table('payment_orders',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('rail', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('beneficiary_name', sa.String(length=140), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('routing', sa.String(length=9), nullable=True),
    sa.Column('account_number', sa.String(length=34), nullable=True),
    sa.Column('reference', sa.String(length=140), nullable=False),
    sa.Column('transfer_id', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=True),
    sa.Column('return_reason', sa.String(length=140), nullable=True),
    sa.Column('closing_transfer_id', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rail in ('sepa','ach','wire')", name=op.f('ck_payment_orders_rail')),
    sa.CheckConstraint("status in ('created','submitted','settled','returned','canceled')", name=op.f('ck_payment_orders_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payment_orders_amount')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_orders')),
    sa.UniqueConstraint('transfer_id', name='uq_payment_orders_transfer_id')
    )
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_orders_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_orders_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_payment_orders_status_rail', ['status', 'rail'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=True),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('captured', sa.BigInteger(), nullable=False),
    sa.Column('refunded', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('capture_mode', sa.String(length=10), nullable=False),
    sa.Column('card_token', sa.String(length=40), nullable=False),
    sa.Column('card_display', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('decline_code', sa.String(length=40), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=True),
    sa.Column('fraud_decision', sa.String(length=10), nullable=True),
    sa.Column('fraud_score', sa.Float(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount')),
    sa.CheckConstraint('captured >= 0 and refunded >= 0 and refunded <= captured and captured <= amount', name=op.f('ck_payments_captured')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('provider_ref', name=op.f('uq_payments_provider_ref'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_payments_created_at', ['created_at'], unique=False)

    op.create_table('vault_cards',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(length=12), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('first6', sa.String(length=6), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('brand', sa.String(length=16), nullable=False),
    sa.Column('exp_month', sa.Integer(), nullable=False),
    sa.Column('exp_year', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_vault_cards')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_vault_cards_fingerprint'))
    )


def downgrade() -> None:
    op.drop_table('vault_cards')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_created_at')
        batch_op.drop_index(batch_op.f('ix_payments_account_id'))

    op.drop_table('payments')
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_orders_status_rail')
        batch_op.drop_index(batch_op.f('ix_payment_orders_batch_id'))
        batch_op.drop_index(batch_op.f('ix_payment_orders_account_id'))

    op.drop_table('payment_orders')
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_events_payment_id_id')

    op.drop_table('payment_events')
