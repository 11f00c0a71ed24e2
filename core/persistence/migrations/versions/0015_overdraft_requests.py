"""approval requests of kind 'overdraft': an overdraft limit above the maker's is a credit decision

Revision ID: 0015
Revises: 0007
"""
from alembic import op

revision = "0015"
down_revision = "0007"
branch_labels = None
depends_on = None

_OLD = "kind in ('transfer','gl','correction','freeze','close','hold_release')"
_NEW = "kind in ('transfer','gl','correction','freeze','close','hold_release','overdraft')"


def _swap(condition: str) -> None:
    with op.batch_alter_table("approval_requests", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_approval_requests_kind"), type_="check")
        batch.create_check_constraint("kind", condition)


def upgrade() -> None:
    _swap(_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM approval_requests WHERE kind = 'overdraft'")
    _swap(_OLD)
