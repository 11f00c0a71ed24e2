"""TOTP secrets encrypted at rest: users.totp_secret widens to hold AES-GCM ciphertext

Revision ID: 0007
Revises: 0014

An encrypted secret reads ``enc:<version>:<base64>`` (about 90 characters); the column held 64. The
secrets themselves are encrypted by the application, not here: the key lives outside the database,
beside the audit signing key, which a migration does not see. Secrets still in clear are encrypted on
load (``core.security.totp_store``): at the next login of each user and in the sweep every desk and
command runs at start (``UserService.totp.encrypt_clear``). SQLite does not enforce VARCHAR lengths,
so only PostgreSQL's column type changes.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("users", "totp_secret", type_=sa.String(255), existing_type=sa.String(64),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("users", "totp_secret", type_=sa.String(64), existing_type=sa.String(255),
                        existing_nullable=False)
