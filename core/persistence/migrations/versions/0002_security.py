"""security: users, recovery codes, append-only audit log and signed audit batches

Revision ID: 0002_security
Revises: 0001_ledger
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base


revision = '0002_security'
down_revision = '0001_ledger'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = core.persistence.base.UTCDateTime(timezone=True)
CONTENT = ("id", "at", "actor", "role", "device", "action", "target", "before", "after")


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', BigId, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=False),
    sa.Column('totp_enrolled_at', UTC, nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', UTC, nullable=True),
    sa.Column('last_login_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("role in ('teller','analyst','supervisor','admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint("status in ('active','disabled')", name=op.f('ck_users_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('recovery_codes',
    sa.Column('id', BigId, nullable=False),
    sa.Column('user_id', BigId, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', BigId, nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_log_seq'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_log_actor_at', ['actor', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_unsealed', ['id'], unique=False,
                              postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))

    op.create_table('audit_batches',
    sa.Column('id', BigId, nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_batches')),
    sa.UniqueConstraint('first_seq', name=op.f('uq_audit_batches_first_seq'))
    )
    _append_only()


def _append_only() -> None:
    """The database refuses to delete or change audit rows; the only update allowed is sealing an entry once.

    This stops mistakes and ordinary accounts; someone who can drop triggers is caught by `qenex audit verify`.
    """
    if op.get_bind().dialect.name == "postgresql":
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in CONTENT)
        op.execute(
            "CREATE FUNCTION qenex_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {same} THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION qenex_audit_log_append_only()"
        )
        op.execute(
            "CREATE FUNCTION qenex_audit_batches_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit batches are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_batches_immutable BEFORE UPDATE OR DELETE ON audit_batches "
            "FOR EACH ROW EXECUTE FUNCTION qenex_audit_batches_immutable()"
        )
    else:
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   f"WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {same}) "
                   "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_batches_no_{event.lower()} BEFORE {event} ON audit_batches "
                       "BEGIN SELECT RAISE(ABORT, 'audit batches are immutable'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_batches_immutable ON audit_batches")
        op.execute("DROP FUNCTION qenex_audit_batches_immutable()")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION qenex_audit_log_append_only()")
    else:
        for name in ("audit_batches_no_update", "audit_batches_no_delete", "audit_log_no_update", "audit_log_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('audit_batches')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_unsealed')
        batch_op.drop_index('ix_audit_log_action_at')
        batch_op.drop_index('ix_audit_log_actor_at')
        batch_op.drop_index('ix_audit_log_at')
    op.drop_table('audit_log')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    op.drop_table('users')
