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

# The text form is core.fraud.cardbins's: three sections joined by "|" (5-minute, hourly, daily bins), each a list
# of bins joined by ";", a bin "<slot>,<n>,<total>" ("q", "h") or "<slot>,<n>,<total>,<sumsq>,<frauds>,<outliers>,
# <outlier_total>,<max_ratio>" ("d"), numbers in each backend's exact float text, so the features read after the
# upgrade equal those before.
_VALUES = ("n", "total", "sumsq", "frauds", "outliers", "outlier_total", "max_ratio")
_WIDTH = {"q": 2, "h": 2, "d": 7}


def _section(grain: str) -> str:
    values = ", ".join(f"b.{v}" for v in ("slot",) + _VALUES[:_WIDTH[grain]])
    return (f"coalesce(string_agg(concat_ws(',', {values}), ';' ORDER BY b.slot) FILTER (WHERE b.grain = '{grain}'), "
            "'')")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("fraud_cards", recreate="auto") as batch:
        batch.add_column(sa.Column("bins", sa.Text(), nullable=False, server_default=""))
        batch.alter_column("last_ts", existing_type=sa.BigInteger(), nullable=True)
    if bind.dialect.name == "postgresql":
        op.execute("SET LOCAL extra_float_digits = 3")  # shortest text that reads back as the same float
        op.execute("INSERT INTO fraud_cards (card, last_ts, bins) SELECT DISTINCT b.key, NULL::bigint, '' "
                   "FROM fraud_bins b WHERE b.kind = 'card' ON CONFLICT (card) DO NOTHING")
        sections = " || '|' || ".join(_section(g) for g in ("q", "h", "d"))
        op.execute(f"UPDATE fraud_cards f SET bins = x.bins FROM (SELECT b.key, {sections} AS bins FROM fraud_bins b "
                   "WHERE b.kind = 'card' GROUP BY b.key) x WHERE f.card = x.key")
    else:
        cols = ", ".join(_VALUES)
        texts: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"q": [], "h": [], "d": []})
        for row in bind.execute(sa.text(f"SELECT key, grain, slot, {cols} FROM fraud_bins WHERE kind = 'card' "
                                        "ORDER BY key, grain, slot")):
            values = [float(v) for v in row[3:3 + _WIDTH[row[1]]]]
            texts[row[0]][row[1]].append(",".join([str(row[2])] + [repr(v) for v in values]))
        known = set(bind.execute(sa.text("SELECT card FROM fraud_cards")).scalars())
        for card, grains in texts.items():
            sql = ("UPDATE fraud_cards SET bins = :bins WHERE card = :card" if card in known else
                   "INSERT INTO fraud_cards (card, last_ts, bins) VALUES (:card, NULL, :bins)")
            bins = "|".join(";".join(grains[g]) for g in ("q", "h", "d"))
            bind.execute(sa.text(sql), {"card": card, "bins": bins})
    op.execute("DELETE FROM fraud_bins WHERE kind = 'card'")


def downgrade() -> None:
    bind = op.get_bind()
    rows = []
    for card, text in bind.execute(sa.text("SELECT card, bins FROM fraud_cards WHERE bins <> ''")):
        for grain, section in zip(("q", "h", "d"), text.split("|")):
            for part in section.split(";") if section else ():
                slot, *values = part.split(",")
                row = {"kind": "card", "key": card, "grain": grain, "slot": int(float(slot))}
                row.update(zip(_VALUES, [float(v) for v in values] + [0.0] * (len(_VALUES) - len(values))))
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
