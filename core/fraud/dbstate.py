"""Feature state in the database: the same bins as MemoryStore, read and upserted per payment.

Reads are one indexed range query per payment; writes are atomic increments (INSERT ... ON
CONFLICT DO UPDATE), so desks posting at the same moment never lose an update. Rows are written in
one sorted order to avoid lock-order deadlocks on PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, and_, case, delete, or_, select, text
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


# -- PostgreSQL desk path: the screen's reads as branches of the ledger's one read, its writes as parts of the
# ledger's one checked write (core.ledger.desk). Statement texts are built once per shape (lru_cache).
# Read rows follow the ledger's layout (tag, 12 columns, jsonb); here: 'k' the card (number column: the card
# key, id column: last_ts, version column: the fraud_cards row's xmin), 'b' one (kind, grain)'s bins as text
# in the fifth column ("slot,n,total,sumsq,frauds,outliers,outlier_total,max_ratio;..."), 's' a seen counterparty or
# device (number column: kind), 'm' the active model version (id column), 'v' the active fraud settings version
# (id column), 'x' active suppressions (id: count).
_NULLS = "NULL::bigint, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, " \
         "NULL::bigint, NULL::bigint, NULL::bigint"
# one (kind, grain)'s bins as text, "slot,n,total,...;slot,n,..." (floats in PostgreSQL's shortest exact form):
# a third of the server time of jsonb_agg(jsonb_build_array(...)), whose numeric kept only 15 digits
_BIN_TEXT = "string_agg(concat_ws(',', b.slot, b.n, b.total, b.sumsq, b.frauds, b.outliers, b.outlier_total, " \
            "b.max_ratio), ';')"
_BIN_COLUMNS = "NULL::bigint, {}, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, " \
               "NULL::bigint, NULL::bigint, NULL::jsonb".format(_BIN_TEXT)


@lru_cache(maxsize=16)
def state_read_sql(counterparty: bool, country: bool, device: bool) -> str:
    """UNION ALL branches reading the screen's state; the card key comes from the CTE ``card(k)``.

    Parameters, in order: q floor, h floor, d floor (card bins: slot > q floor, slot > h floor, slot >= d
    floor), [counterparty, d floor], [country, d floor], [counterparty], [device], suppression time,
    counterparty (or NULL).
    """
    parts = [
        f"SELECT 'm', max(version)::bigint, {_NULLS.split(', ', 1)[1]}, NULL::bigint, NULL::jsonb "
        "FROM fraud_models WHERE active",
        f"SELECT 'v', max(version)::bigint, {_NULLS.split(', ', 1)[1]}, NULL::bigint, NULL::jsonb "
        "FROM fraud_settings WHERE active",
        "SELECT 'k', f.last_ts, card.k, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, "
        "NULL::bigint, NULL::bigint, NULL::bigint, f.xmin::text::bigint, NULL::jsonb "
        "FROM card LEFT JOIN fraud_cards f ON f.card = card.k",
        f"SELECT 'b', NULL::bigint, b.kind || b.grain, {_BIN_COLUMNS} "
        "FROM card JOIN fraud_bins b ON b.kind = 'card' AND b.key = card.k AND ((b.grain = 'q' AND b.slot > %s) "
        "OR (b.grain = 'h' AND b.slot > %s) OR (b.grain = 'd' AND b.slot >= %s)) GROUP BY b.kind, b.grain",
    ]
    for kind, wanted in (("cp", counterparty), ("country", country)):
        if wanted:
            parts.append(f"SELECT 'b', NULL::bigint, b.kind || b.grain, {_BIN_COLUMNS} FROM fraud_bins b "
                         f"WHERE b.kind = '{kind}' AND b.key = %s AND b.grain = 'd' AND b.slot >= %s "
                         "GROUP BY b.kind, b.grain")
    items = [k for k, wanted in (("cp", counterparty), ("dev", device)) if wanted]
    if items:
        cond = " OR ".join(f"(s.kind = '{k}' AND s.item = %s)" for k in items)
        parts.append(f"SELECT 's', NULL::bigint, s.kind, {_NULLS.split(', ', 2)[2]}, NULL::bigint, NULL::jsonb "
                     f"FROM card JOIN fraud_seen s ON s.card = card.k AND ({cond})")
    parts.append(f"SELECT 'x', count(*), {_NULLS.split(', ', 1)[1]}, NULL::bigint, NULL::jsonb FROM card "
                 "JOIN fraud_suppressions p ON p.until > %s AND p.revoked_at IS NULL AND ((p.scope = 'card' AND "
                 "p.key = card.k) OR (p.scope = 'counterparty' AND p.key = %s))")
    return "\nUNION ALL\n".join(parts)


def state_read_params(tx: Txn, keep_days: int, now: datetime) -> list:
    """The parameters of ``state_read_sql(tx.counterparty is not None, tx.country is not None,
    tx.device is not None)``; ``now``: the time suppressions must outlast (UTC-aware)."""
    q, h, d = tx.ts // QUARTER, tx.ts // HOUR, tx.ts // DAY
    d0 = d - keep_days + 1
    params: list = [q - QUARTER_BINS, h - HOUR_BINS, d0]
    if tx.counterparty is not None:
        params += [tx.counterparty, d0]
    if tx.country is not None:
        params += [tx.country, d0]
    params += [i for i in (tx.counterparty, tx.device) if i is not None]
    params += [now, tx.counterparty]
    return params


@dataclass
class ReadState:
    """What the desk path's read found for one payment's screen (rows tagged as in ``state_read_sql``)."""

    card: str | None = None  # the card key as the database derived it (None: not a customer's payment)
    last_ts: int | None = None
    version: int | None = None  # xmin of the card's fraud_cards row (None: no row yet)
    bins: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    model_version: int | None = None
    settings_version: int | None = None  # the active fraud settings version (core.fraud.versions)
    suppressions: int = 0

    def take(self, row: tuple) -> None:
        tag = row[0]
        if tag == "b":  # "slot,7 values;slot,7 values;...": parsed in one pass (one split, one map)
            numbers = list(map(float, row[4].replace(";", ",").split(",")))
            if len(numbers) % 8:  # not 8 numbers a bin: bin by bin, as the text says
                self.bins[row[2]] = {int(slot): [float(v) for v in values] for slot, *values in
                                     (text.split(",") for text in row[4].split(";"))}
            else:
                self.bins[row[2]] = {int(numbers[i]): numbers[i + 1:i + 8] for i in range(0, len(numbers), 8)}
        elif tag == "k":
            self.card, self.last_ts, self.version = row[2], row[1], row[12]
        elif tag == "s":
            self.seen.add(row[2])
        elif tag == "m":
            self.model_version = row[1]
        elif tag == "v":
            self.settings_version = row[1]
        elif tag == "x":
            self.suppressions = row[1] or 0

    def snapshot(self, tx: Txn, delay_days: int) -> Snapshot:
        b = self.bins
        return features.snapshot(b.get("cardq", {}), b.get("cardh", {}), b.get("cardd", {}), b.get("cpd", {}),
                                 b.get("countryd", {}), self.last_ts, "cp" in self.seen, "dev" in self.seen, tx,
                                 delay_days)


@lru_cache(maxsize=64)
def state_write_sql(n_bins: int, n_seen: int, known: bool = False, new_card: bool = False) -> tuple[str, ...]:
    """CTEs adding one payment to the state, for the ledger's checked write (names ``fb``, ``fd``, ``fs``, ``fc``).

    The card's fraud_cards row must still be the version read (xmin; none if none was read): a payment on the
    same card committed since makes the statement raise 40001 (the payments then see each other in a serial
    order). ``known`` (the read's findings are given): the ``n_seen`` counterparties or devices are those the
    read did not find, and ``new_card`` says it found no fraud_cards row; both are then inserted without ON
    CONFLICT (no speculative insertion and its confirmation in the WAL): a row another payment of the card
    inserted since the read is a unique violation, and the transfer is read and judged again, as for a changed
    row. The bins stay upserted: a counterparty's or country's bins are other cards' too.
    Parameters: ``state_write_params``.
    """
    sets = ", ".join(f"{c} = fraud_bins.{c} + excluded.{c}" for c in _VALUES if c != "max_ratio")
    ctes = [
        f"fb AS (INSERT INTO fraud_bins (kind, key, grain, slot, {', '.join(_VALUES)}) VALUES "
        + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * n_bins)
        + f" ON CONFLICT (kind, key, grain, slot) DO UPDATE SET {sets}, max_ratio = CASE WHEN excluded.max_ratio > "
          "fraud_bins.max_ratio THEN excluded.max_ratio ELSE fraud_bins.max_ratio END)",
        "fd AS (DELETE FROM fraud_bins WHERE kind = 'card' AND key = %s AND ((grain = 'q' AND slot <= %s) OR "
        "(grain = 'h' AND slot <= %s) OR (grain = 'd' AND slot <= %s)))",
        "fc AS (INSERT INTO fraud_cards (card, last_ts) VALUES (%s, %s))" if new_card else
        "fc AS (INSERT INTO fraud_cards (card, last_ts) VALUES (%s, %s) ON CONFLICT (card) DO UPDATE SET last_ts = "
        "CASE WHEN fraud_cards.xmin::text::bigint IS NOT DISTINCT FROM %s::bigint THEN greatest(fraud_cards.last_ts, "
        "excluded.last_ts) ELSE qenex_stale_account(%s) END)",
    ]
    if n_seen:
        ctes.append("fs AS (INSERT INTO fraud_seen (card, kind, item) VALUES " + ", ".join(["(%s, %s, %s)"] * n_seen)
                    + (")" if known else " ON CONFLICT DO NOTHING)"))
    return tuple(ctes)


def state_write_params(tx: Txn, row: list[float], keep_days: int, version: int | None, stale_id: int,
                       seen_read: frozenset[str] | None = None) -> tuple[tuple[str, ...], list]:
    """(CTEs, parameters) adding ``tx`` with features ``row``; ``version`` as read, ``stale_id`` names the
    payer's account in the refusal; ``seen_read``: the kinds ('cp', 'dev') the read found seen for this
    payment's counterparty and device (``ReadState.seen``; None: not known, rows are written ON CONFLICT)."""
    rows = sorted(tuple(r.values()) for r in _transaction_bins(tx, row))
    ts, card = tx.ts, tx.card
    q, h, d = ts // QUARTER, ts // HOUR, ts // DAY
    params = [v for r in rows for v in r]
    params += [card, q - QUARTER_BINS, h - HOUR_BINS, d - keep_days]
    known = seen_read is not None
    new_card = known and version is None
    params += [card, ts] if new_card else [card, ts, version, stale_id]
    seen = [(card, k, i) for k, i in (("cp", tx.counterparty), ("dev", tx.device))
            if i is not None and not (known and k in seen_read)]
    params += [v for s in seen for v in s]
    return state_write_sql(len(rows), len(seen), known, new_card), params


def _transaction_bins(tx: Txn, row: list[float]) -> list[dict]:
    """The bin increments one payment makes (as ``DatabaseStore.add_transaction`` writes them)."""
    ts, amount, card = tx.ts, tx.amount, tx.card
    q, h, d = ts // QUARTER, ts // HOUR, ts // DAY
    out = is_outlier(row)
    rows = [
        _bin_row("card", card, "q", q, 1, amount), _bin_row("card", card, "h", h, 1, amount),
        _bin_row("card", card, "d", d, 1, amount, amount * amount, 0, int(out), amount if out else 0.0,
                 row[RATIO] if out else 0.0),
    ]
    if tx.counterparty is not None:
        rows.append(_bin_row("cp", tx.counterparty, "d", d, 1, amount, max_ratio=row[RATIO]))
    if tx.country is not None:
        rows.append(_bin_row("country", tx.country, "d", d, 1, amount))
    return rows


_CARD_VERSION = text("SELECT xmin::text::bigint FROM fraud_cards WHERE card = :card")
# 0 names no account: the card's state changed since it was read (another payment of the same card)
_CARD_CHECKED = text("INSERT INTO fraud_cards (card, last_ts) VALUES (:card, :ts) ON CONFLICT (card) DO UPDATE "
                     "SET last_ts = CASE WHEN fraud_cards.xmin::text::bigint IS NOT DISTINCT FROM "
                     "CAST(:version AS bigint) THEN greatest(fraud_cards.last_ts, excluded.last_ts) "
                     "ELSE qenex_stale_account(0) END")


class DatabaseStore:
    """MemoryStore's twin in the database: the same methods with the caller's connection first
    (it works inside the caller's transaction and never commits)."""

    def __init__(self, delay_days: int = 7) -> None:
        self.delay_days = delay_days
        self.keep_days = day_bins_kept(delay_days)

    def snapshot_versioned(self, conn: Connection, tx: Txn) -> tuple[Snapshot, tuple[int | None] | None]:
        """``snapshot`` and, on PostgreSQL, the version of the card's state: ``(xmin of its fraud_cards row or
        None,)``, for ``add_transaction`` to check (None on SQLite, whose writers are serialized)."""
        if conn.dialect.name != "postgresql":
            return self.snapshot(conn, tx), None
        version = conn.execute(_CARD_VERSION, {"card": tx.card}).scalar()
        return self.snapshot(conn, tx), (version,)

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

    def add_transaction(self, conn: Connection, tx: Txn, row: list[float],
                        version: tuple[int | None] | None = None) -> None:
        """Count ``tx`` (features ``row``) in its bins. ``version`` (PostgreSQL, from ``snapshot_versioned``):
        the card's state must be unchanged since it was read, else SQLSTATE 40001 (the caller retries)."""
        ts, card = tx.ts, tx.card
        q, h, d = ts // QUARTER, ts // HOUR, ts // DAY
        upsert_bins(conn, _transaction_bins(tx, row))
        c = _BIN.c
        conn.execute(delete(_BIN).where(c.kind == "card", c.key == card, or_(
            and_(c.grain == "q", c.slot <= q - QUARTER_BINS), and_(c.grain == "h", c.slot <= h - HOUR_BINS),
            and_(c.grain == "d", c.slot <= d - self.keep_days))))
        seen = [{"card": card, "kind": k, "item": i} for k, i in (("cp", tx.counterparty), ("dev", tx.device))
                if i is not None]
        if seen:
            conn.execute(insert_for(conn, FraudSeen.__table__).values(seen).on_conflict_do_nothing())
        if version is not None and conn.dialect.name == "postgresql":
            conn.execute(_CARD_CHECKED, {"card": card, "ts": ts, "version": version[0]})
            return
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
