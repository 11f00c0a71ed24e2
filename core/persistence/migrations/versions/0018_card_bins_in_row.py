"""a card's bins in its fraud_cards row: one row read and written per payment instead of some fifty bin rows

Revision ID: 0018
Revises: 0017
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The text form is core.fraud.cardbins's: parts "<grain><slot>:<n>,<total>,<sumsq>,<frauds>,<outliers>,
# <outlier_total>,<max_ratio>" joined by ";" (values may stop early: missing ones are 0). Written here with all
# seven values, in each backend's exact float text, so the features read after the upgrade equal those before.
_VALUES = ("n", "total", "sumsq", "frauds", "outliers", "outlier_total", "max_ratio")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("fraud_cards", recreate="auto") as batch:
        batch.add_column(sa.Column("bins", sa.Text(), nullable=False, server_default=""))
        batch.alter_column("last_ts", existing_type=sa.BigInteger(), nullable=True)
    if bind.dialect.name == "postgresql":
        op.execute("SET LOCAL extra_float_digits = 3")  # shortest text that reads back as the same float
        parts = ("b.grain || b.slot || ':' || concat_ws(',', " + ", ".join(f"b.{v}" for v in _VALUES) + ")")
        op.execute("INSERT INTO fraud_cards (card, last_ts, bins) SELECT DISTINCT b.key, NULL::bigint, '' "
                   "FROM fraud_bins b WHERE b.kind = 'card' ON CONFLICT (card) DO NOTHING")
        op.execute(f"UPDATE fraud_cards f SET bins = x.bins FROM (SELECT b.key, string_agg({parts}, ';' ORDER BY "
                   "b.grain, b.slot) AS bins FROM fraud_bins b WHERE b.kind = 'card' GROUP BY b.key) x "
                   "WHERE f.card = x.key")
    else:
        cols = ", ".join(_VALUES)
        texts: dict[str, list[str]] = defaultdict(list)
        for row in bind.execute(sa.text(f"SELECT key, grain, slot, {cols} FROM fraud_bins WHERE kind = 'card' "
                                        "ORDER BY key, grain, slot")):
            texts[row[0]].append(f"{row[1]}{row[2]}:" + ",".join(repr(float(v)) for v in row[3:]))
        known = set(bind.execute(sa.text("SELECT card FROM fraud_cards")).scalars())
        for card, parts_ in texts.items():
            sql = ("UPDATE fraud_cards SET bins = :bins WHERE card = :card" if card in known else
                   "INSERT INTO fraud_cards (card, last_ts, bins) VALUES (:card, NULL, :bins)")
            bind.execute(sa.text(sql), {"card": card, "bins": ";".join(parts_)})
    op.execute("DELETE FROM fraud_bins WHERE kind = 'card'")


def downgrade() -> None:
    bind = op.get_bind()
    rows = []
    for card, text in bind.execute(sa.text("SELECT card, bins FROM fraud_cards WHERE bins <> ''")):
        for part in text.split(";"):
            head, _, body = part.partition(":")
            values = [float(v) for v in body.split(",")] if body else []
            values += [0.0] * (len(_VALUES) - len(values))
            row = {"kind": "card", "key": card, "grain": head[0], "slot": int(head[1:])}
            row.update(zip(_VALUES, values))
            for v in ("n", "frauds", "outliers"):
                row[v] = int(row[v])
            rows.append(row)
    if rows:
        cols = ", ".join(("kind", "key", "grain", "slot") + _VALUES)
        marks = ", ".join(f":{c}" for c in ("kind", "key", "grain", "slot") + _VALUES)
        bind.execute(sa.text(f"INSERT INTO fraud_bins ({cols}) VALUES ({marks})"), rows)
    op.execute("DELETE FROM fraud_cards WHERE last_ts IS NULL")
    with op.batch_alter_table("fraud_cards", recreate="auto") as batch:
        batch.drop_column("bins")
        batch.alter_column("last_ts", existing_type=sa.BigInteger(), nullable=False)
