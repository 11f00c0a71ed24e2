"""users choose their own password: a flag set on new users and on an administrator's password reset

Revision ID: 0006
Revises: 0010

Every user created or whose password an administrator reset must choose a new password at the next login
(core.security.users); until then the reset also ends their open sessions (core.security.session_check).
Existing users are not asked (they chose their password under the earlier rules).
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
