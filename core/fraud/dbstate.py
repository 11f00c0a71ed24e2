"""Feature state in the database: the same bins as MemoryStore, read and upserted per payment.

Reads are one indexed range query per payment; writes are atomic increments (INSERT ... ON
CONFLICT DO UPDATE), so desks posting at the same moment never lose an update. Rows are written in
one sorted order to avoid lock-order deadlocks on PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from core.fraud import features
from core.fraud.features import Snapshot, is_outlier
from core.fraud.state import HOUR_BINS, QUARTER_BINS, RATIO, MemoryStore, day_bins_kept
from core.fraud.txn import DAY, HOUR, QUARTER, Txn
from core.persistence.models.fraud import FraudBin, FraudCard, FraudSeen

_BIN = FraudBin.__table__
_VALUES = ("n", "total", "sumsq", "frauds", "outliers", "outlier_total", "max_ratio")


def insert_for(conn: Connection, table):  # noqa: ANN001, ANN202
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _bin_row(kind: str, key: str, grain: str, slot: int, n: int = 0, total: float = 0.0, sumsq: float = 0.0,
             frauds: int = 0, outliers: int = 0, outlier_total: float = 0.0, max_ratio: float = 0.0) -> dict:
    return {"kind": kind, "key": key, "grain": grain, "slot": slot, "n": n, "total": total, "sumsq": sumsq,
            "frauds": frauds, "outliers": outliers, "outlier_total": outlier_total, "max_ratio": max_ratio}


def upsert_bins(conn: Connection, rows: list[dict]) -> None:
    """Add ``rows`` to their bins (max_ratio keeps the larger)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: (r["kind"], r["key"], r["grain"], r["slot"]))
    stmt = insert_for(conn, _BIN).values(rows)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "key", "grain", "slot"],
        set_={
            **{c: _BIN.c[c] + ex[c] for c in _VALUES if c != "max_ratio"},
            "max_ratio": case((ex.max_ratio > _BIN.c.max_ratio, ex.max_ratio), else_=_BIN.c.max_ratio),
        },
    )
    conn.execute(stmt)


class DatabaseStore:
    """MemoryStore's twin in the database: the same methods with the caller's connection first
    (it works inside the caller's transaction and never commits)."""

    def __init__(self, delay_days: int = 7) -> None:
        self.delay_days = delay_days
        self.keep_days = day_bins_kept(delay_days)

    def snapshot(self, conn: Connection, tx: Txn) -> Snapshot:
        q, h, d = tx.ts // QUARTER, tx.ts // HOUR, tx.ts // DAY
        d0 = d - self.keep_days + 1
        c = _BIN.c
        wanted = [and_(c.kind == "card", c.key == tx.card, or_(
            and_(c.grain == "q", c.slot > q - QUARTER_BINS), and_(c.grain == "h", c.slot > h - HOUR_BINS),
            and_(c.grain == "d", c.slot >= d0)))]
        if tx.counterparty is not None:
            wanted.append(and_(c.kind == "cp", c.key == tx.counterparty, c.grain == "d", c.slot >= d0))
        if tx.country is not None:
            wanted.append(and_(c.kind == "country", c.key == tx.country, c.grain == "d", c.slot >= d0))
        bins: dict[tuple[str, str], dict[int, list[float]]] = {
            ("card", "q"): {}, ("card", "h"): {}, ("card", "d"): {}, ("cp", "d"): {}, ("country", "d"): {}}
        for r in conn.execute(select(c.kind, c.grain, c.slot, *(c[v] for v in _VALUES)).where(or_(*wanted))):
            bins[(r[0], r[1])][r[2]] = [float(v) for v in r[3:]]
        seen = set()
        items = [("cp", tx.counterparty), ("dev", tx.device)]
        items = [(k, i) for k, i in items if i is not None]
        if items:
            s = FraudSeen.__table__.c
            cond = or_(*(and_(s.kind == k, s.item == i) for k, i in items))
            seen = {(r.kind, r.item) for r in conn.execute(select(s.kind, s.item).where(s.card == tx.card, cond))}
        last = conn.scalar(select(FraudCard.last_ts).where(FraudCard.card == tx.card))
        return features.snapshot(bins[("card", "q")], bins[("card", "h")], bins[("card", "d")], bins[("cp", "d")],
                                 bins[("country", "d")], last, ("cp", tx.counterparty) in seen,
                                 ("dev", tx.device) in seen, tx, self.delay_days)

    def add_transaction(self, conn: Connection, tx: Txn, row: list[float]) -> None:
        ts, amount, card = tx.ts, tx.amount, tx.card
        q, h, d = ts // QUARTER, ts // HOUR, ts // DAY
        out = is_outlier(row)
        rows = [
            _bin_row("card", card, "q", q, 1, amount), _bin_row("card", card, "h", h, 1, amount),
            _bin_row("card", card, "d", d, 1, amount, amount * amount, 0, int(out), amount if out else 0.0,
                     row[RATIO] if out else 0.0),
        ]
        if tx.counterparty is not None:
            rows.append(_bin_row("cp", tx.counterparty, "d", d, 1, amount))
        if tx.country is not None:
            rows.append(_bin_row("country", tx.country, "d", d, 1, amount))
        upsert_bins(conn, rows)
        c = _BIN.c
        conn.execute(delete(_BIN).where(c.kind == "card", c.key == card, or_(
            and_(c.grain == "q", c.slot <= q - QUARTER_BINS), and_(c.grain == "h", c.slot <= h - HOUR_BINS),
            and_(c.grain == "d", c.slot <= d - self.keep_days))))
        seen = [{"card": card, "kind": k, "item": i} for k, i in (("cp", tx.counterparty), ("dev", tx.device))
                if i is not None]
        if seen:
            conn.execute(insert_for(conn, FraudSeen.__table__).values(seen).on_conflict_do_nothing())
        stmt = insert_for(conn, FraudCard.__table__).values(card=card, last_ts=ts)
        conn.execute(stmt.on_conflict_do_update(index_elements=["card"], set_={"last_ts": case(
            (stmt.excluded.last_ts > FraudCard.__table__.c.last_ts, stmt.excluded.last_ts),
            else_=FraudCard.__table__.c.last_ts)}))

    def add_label(self, conn: Connection, tx: Txn, delta: int) -> None:
        d = tx.ts // DAY
        rows = [_bin_row("card", tx.card, "d", d, frauds=delta)]
        if tx.counterparty is not None:
            rows.append(_bin_row("cp", tx.counterparty, "d", d, frauds=delta))
        if tx.country is not None:
            rows.append(_bin_row("country", tx.country, "d", d, frauds=delta))
        upsert_bins(conn, rows)

    def replace_all(self, conn: Connection, memory: MemoryStore) -> None:
        """Make the database state equal ``memory`` (after a replay of the whole history)."""
        conn.execute(delete(_BIN))
        conn.execute(delete(FraudSeen.__table__))
        conn.execute(delete(FraudCard.__table__))
        _bulk(conn, _BIN, _memory_bins(memory, max(memory.last_ts.values(), default=0)))
        _bulk(conn, FraudSeen.__table__, ({"card": c, "kind": k, "item": i} for c, k, i in memory.seen))
        _bulk(conn, FraudCard.__table__, ({"card": c, "last_ts": t} for c, t in memory.last_ts.items()))


def _memory_bins(memory: MemoryStore, now: int) -> Iterable[dict]:
    """The bins still inside their windows at ``now`` (older ones can no longer be read)."""
    oldest = {"q": now // QUARTER - QUARTER_BINS, "h": now // HOUR - HOUR_BINS, "d": now // DAY - memory.keep_days}
    for kind, grain, table in (("card", "q", memory.card_q), ("card", "h", memory.card_h), ("card", "d", memory.card_d),
                               ("cp", "d", memory.cp_d), ("country", "d", memory.country_d)):
        floor = oldest[grain]
        for key, bins in table.items():
            for slot, b in bins.items():
                if slot > floor:
                    yield _bin_row(kind, key, grain, slot, int(b[0]), b[1], b[2], int(b[3]), int(b[4]), b[5], b[6])


def _bulk(conn: Connection, table, rows: Iterable[dict], size: int = 5000) -> None:  # noqa: ANN001
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
