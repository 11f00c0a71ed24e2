"""four-eyes requests withdrawn by their maker get a state of their own, 'withdrawn' (no longer 'rejected')

Until this revision a maker's withdrawal was stored as 'rejected' and told apart only by its result's words
("withdrawn by the maker; …", or "withdrawn: the held transfer was voided by <the maker>"). Those rows become
'withdrawn', and their result keeps only what was done; a held transfer voided by someone other than the maker
(a fraud decision) stays 'rejected'. Down: withdrawn rows go back to 'rejected' with the old words.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_OLD = "state in ('pending','approved','rejected','expired','failed')"
_NEW = "state in ('pending','approved','rejected','withdrawn','expired','failed')"
_MAKER = "withdrawn by the maker; "
_VOIDED = "withdrawn: the held transfer was voided by "

_R = sa.table("approval_requests", sa.column("id", sa.BigInteger), sa.column("state", sa.String),
              sa.column("maker", sa.String), sa.column("checker", sa.String), sa.column("result", sa.String))


def _swap(condition: str) -> None:
    with op.batch_alter_table("approval_requests", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_approval_requests_state"), type_="check")
        batch.create_check_constraint("state", condition)


def upgrade() -> None:
    _swap(_NEW)
    conn = op.get_bind()
    rows = conn.execute(sa.select(_R.c.id, _R.c.maker, _R.c.checker, _R.c.result).where(
        _R.c.state == "rejected", _R.c.result.like("withdrawn%"))).all()
    for row in rows:
        result = row.result
        if result.startswith(_MAKER):
            result = result.removeprefix(_MAKER)
        elif result.startswith(_VOIDED) and row.checker == row.maker:
            result = "the held transfer was voided by its maker"
        elif result.startswith(_VOIDED):  # someone else voided it (a fraud decision): a refusal, not a withdrawal
            conn.execute(_R.update().where(_R.c.id == row.id).values(
                result="the held transfer was voided by " + result.removeprefix(_VOIDED)))
            continue
        conn.execute(_R.update().where(_R.c.id == row.id).values(state="withdrawn", result=result))


def downgrade() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(_R.c.id, _R.c.checker, _R.c.result).where(_R.c.state == "withdrawn")).all():
        result = str(row.result or "")
        old = (_VOIDED + str(row.checker) if result == "the held transfer was voided by its maker"
               else _MAKER + result)
        conn.execute(_R.update().where(_R.c.id == row.id).values(state="rejected", result=old))
    conn.execute(_R.update().where(_R.c.state == "rejected", _R.c.result.like("the held transfer was voided by %"))
                 .values(result=sa.literal("withdrawn: ") + _R.c.result))
    _swap(_OLD)
