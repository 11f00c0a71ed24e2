"""Feature state in the database: the same bins as MemoryStore, read and written per payment.

A card's own bins live in its ``fraud_cards`` row (core.fraud.cardbins), read with the row and written back
whole under a check that the row is still the version read (or under its row lock), so two payments of one
card are counted in a serial order. Counterparties' and countries' bins are rows of ``fraud_bins`` that many
cards add to at once: atomic increments (INSERT ... ON CONFLICT DO UPDATE), written in one sorted order to
avoid lock-order deadlocks on PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, and_, case, delete, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from core.fraud import features
from core.fraud.cardbins import WIDTH, CardBins, floors
from core.fraud.features import Snapshot
from core.fraud.state import RATIO, MemoryStore, day_bins_kept
from core.fraud.txn import DAY, Txn
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
# key, id column: last_ts, fifth column: its bins' text (core.fraud.cardbins), version column: the fraud_cards
# row's xmin), 'b' a counterparty's or country's daily bins as text
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

    Parameters, in order: [counterparty, d floor], [country, d floor] (bins: slot >= d floor), [counterparty],
    [device], suppression time, counterparty (or NULL).
    """
    parts = [
        f"SELECT 'm', max(version)::bigint, {_NULLS.split(', ', 1)[1]}, NULL::bigint, NULL::jsonb "
        "FROM fraud_models WHERE active",
        f"SELECT 'v', max(version)::bigint, {_NULLS.split(', ', 1)[1]}, NULL::bigint, NULL::jsonb "
        "FROM fraud_settings WHERE active",
        "SELECT 'k', f.last_ts, card.k, NULL::bigint, f.bins, NULL::text, NULL::text, NULL::bigint, NULL::bigint, "
        "NULL::bigint, NULL::bigint, NULL::bigint, f.xmin::text::bigint, NULL::jsonb "
        "FROM card LEFT JOIN fraud_cards f ON f.card = card.k",
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
    d0 = tx.ts // DAY - keep_days + 1
    params: list = []
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
    card_bins: CardBins | None = None  # the card's own bins, from its fraud_cards row
    bins: dict[str, dict[int, list[float]]] = field(default_factory=dict)  # 'cpd', 'countryd': slot -> values
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
            self.card, self.last_ts, self.version, self.card_bins = row[2], row[1], row[12], CardBins(row[4])
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
        card = (self.card_bins or _EMPTY).grains
        return features.snapshot(card["q"], card["h"], card["d"], b.get("cpd", {}), b.get("countryd", {}),
                                 self.last_ts, "cp" in self.seen, "dev" in self.seen, tx, delay_days)


_EMPTY = CardBins()


@lru_cache(maxsize=64)
def state_write_sql(n_bins: int, n_seen: int, known: bool = False, new_card: bool = False) -> tuple[str, ...]:
    """CTEs adding one payment to the state, for the ledger's checked write (names ``fb``, ``fc``, ``fs``).

    ``fb`` adds to the ``n_bins`` counterparty and country bins; ``fc`` writes the card's row (its last payment
    time and its bins' new text). The card's fraud_cards row must still be the version read (xmin; none if none
    was read): a payment on the same card committed since makes the statement raise 40001 (the payments then
    see each other in a serial order, and the bins' text written is the one read plus this payment).
    ``known`` (the read's findings are given): the ``n_seen`` counterparties or devices are those the read did
    not find, and ``new_card`` says it found no fraud_cards row; both are then inserted without ON CONFLICT (no
    speculative insertion and its confirmation in the WAL): a row another payment of the card inserted since
    the read is a unique violation, and the transfer is read and judged again, as for a changed row. The bins
    stay upserted: a counterparty's or country's bins are other cards' too.
    Parameters: ``state_write_params``.
    """
    sets = ", ".join(f"{c} = fraud_bins.{c} + excluded.{c}" for c in _VALUES if c != "max_ratio")
    ctes = []
    if n_bins:
        ctes.append(
            f"fb AS (INSERT INTO fraud_bins (kind, key, grain, slot, {', '.join(_VALUES)}) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * n_bins)
            + f" ON CONFLICT (kind, key, grain, slot) DO UPDATE SET {sets}, max_ratio = CASE WHEN excluded.max_ratio "
              "> fraud_bins.max_ratio THEN excluded.max_ratio ELSE fraud_bins.max_ratio END)")
    ctes.append(
        "fc AS (INSERT INTO fraud_cards (card, last_ts, bins) VALUES (%s, %s, %s))" if new_card else
        "fc AS (INSERT INTO fraud_cards (card, last_ts, bins) VALUES (%s, %s, %s) ON CONFLICT (card) DO UPDATE SET "
        "last_ts = CASE WHEN fraud_cards.xmin::text::bigint IS NOT DISTINCT FROM %s::bigint THEN "
        "greatest(fraud_cards.last_ts, excluded.last_ts) ELSE qenex_stale_account(%s) END, bins = excluded.bins)")
    if n_seen:
        ctes.append("fs AS (INSERT INTO fraud_seen (card, kind, item) VALUES " + ", ".join(["(%s, %s, %s)"] * n_seen)
                    + (")" if known else " ON CONFLICT DO NOTHING)"))
    return tuple(ctes)


def state_write_params(tx: Txn, row: list[float], keep_days: int, version: int | None, stale_id: int,
                       seen_read: frozenset[str] | None = None,
                       card_bins: CardBins | None = None) -> tuple[tuple[str, ...], list]:
    """(CTEs, parameters) adding ``tx`` with features ``row``; ``version`` as read, ``stale_id`` names the
    payer's account in the refusal; ``seen_read``: the kinds ('cp', 'dev') the read found seen for this
    payment's counterparty and device (``ReadState.seen``; None: not known, rows are written ON CONFLICT);
    ``card_bins``: the card's bins as read with ``version`` (``ReadState.card_bins``; None: none), changed in
    place to include this payment."""
    rows = sorted(tuple(r.values()) for r in _shared_bins(tx, row))
    ts, card = tx.ts, tx.card
    bins = card_bins if card_bins is not None else CardBins()
    bins.add_payment(ts, tx.amount, row)
    params = [v for r in rows for v in r]
    known = seen_read is not None
    new_card = known and version is None
    params += [card, ts, bins.text(floors(ts, keep_days))]
    if not new_card:
        params += [version, stale_id]
    seen = [(card, k, i) for k, i in (("cp", tx.counterparty), ("dev", tx.device))
            if i is not None and not (known and k in seen_read)]
    params += [v for s in seen for v in s]
    return state_write_sql(len(rows), len(seen), known, new_card), params


def _shared_bins(tx: Txn, row: list[float]) -> list[dict]:
    """The counterparty and country bin increments one payment makes (its card's: core.fraud.cardbins)."""
    d = tx.ts // DAY
    rows = []
    if tx.counterparty is not None:
        rows.append(_bin_row("cp", tx.counterparty, "d", d, 1, tx.amount, max_ratio=row[RATIO]))
    if tx.country is not None:
        rows.append(_bin_row("country", tx.country, "d", d, 1, tx.amount))
    return rows


_CARD_READ = text("SELECT bins, xmin::text::bigint FROM fraud_cards WHERE card = :card")
_CARD_LOCK = text("SELECT bins, xmin::text::bigint FROM fraud_cards WHERE card = :card FOR UPDATE")
# 0 names no account: the card's state changed since it was read (another payment of the same card)
_CARD_CHECKED = text("INSERT INTO fraud_cards (card, last_ts, bins) VALUES (:card, :ts, :bins) ON CONFLICT (card) "
                     "DO UPDATE SET last_ts = CASE WHEN fraud_cards.xmin::text::bigint IS NOT DISTINCT FROM "
                     "CAST(:version AS bigint) THEN greatest(fraud_cards.last_ts, excluded.last_ts) "
                     "ELSE qenex_stale_account(0) END, bins = excluded.bins")
_CARD = FraudCard.__table__


class DatabaseStore:
    """MemoryStore's twin in the database: the same methods with the caller's connection first
    (it works inside the caller's transaction and never commits)."""

    def __init__(self, delay_days: int = 7) -> None:
        self.delay_days = delay_days
        self.keep_days = day_bins_kept(delay_days)

    def _card(self, conn: Connection, card: str, lock: bool = False) -> tuple[CardBins, int | None, bool]:
        """The card's bins, the xmin of its fraud_cards row (None on SQLite or without a row) and whether
        there is a row; ``lock``: take the row's lock (PostgreSQL) until the caller's transaction ends."""
        if conn.dialect.name == "postgresql":
            found = conn.execute(_CARD_LOCK if lock else _CARD_READ, {"card": card}).first()
            return (CardBins(found[0]), found[1], True) if found is not None else (CardBins(), None, False)
        text_ = conn.execute(select(_CARD.c.bins).where(_CARD.c.card == card)).scalar()
        return CardBins(text_), None, text_ is not None

    def snapshot_versioned(self, conn: Connection, tx: Txn) -> tuple[Snapshot, tuple | None]:
        """``snapshot`` and, on PostgreSQL, the version of the card's state: ``(xmin of its fraud_cards row or
        None, None, the card's bins as read)``, for ``add_transaction`` to check and extend (None on SQLite,
        whose writers are serialized)."""
        if conn.dialect.name != "postgresql":
            return self.snapshot(conn, tx), None
        card, version, _ = self._card(conn, tx.card)
        return self._snapshot(conn, tx, card), (version, None, card)

    def snapshot(self, conn: Connection, tx: Txn) -> Snapshot:
        return self._snapshot(conn, tx, self._card(conn, tx.card)[0])

    def _snapshot(self, conn: Connection, tx: Txn, card: CardBins) -> Snapshot:
        d0 = tx.ts // DAY - self.keep_days + 1
        c = _BIN.c
        wanted = []
        if tx.counterparty is not None:
            wanted.append(and_(c.kind == "cp", c.key == tx.counterparty, c.grain == "d", c.slot >= d0))
        if tx.country is not None:
            wanted.append(and_(c.kind == "country", c.key == tx.country, c.grain == "d", c.slot >= d0))
        bins: dict[str, dict[int, list[float]]] = {"cp": {}, "country": {}}
        if wanted:
            for r in conn.execute(select(c.kind, c.slot, *(c[v] for v in _VALUES)).where(or_(*wanted))):
                bins[r[0]][r[1]] = [float(v) for v in r[2:]]
        seen = set()
        items = [("cp", tx.counterparty), ("dev", tx.device)]
        items = [(k, i) for k, i in items if i is not None]
        if items:
            s = FraudSeen.__table__.c
            cond = or_(*(and_(s.kind == k, s.item == i) for k, i in items))
            seen = {(r.kind, r.item) for r in conn.execute(select(s.kind, s.item).where(s.card == tx.card, cond))}
        last = conn.scalar(select(_CARD.c.last_ts).where(_CARD.c.card == tx.card))
        g = card.grains
        return features.snapshot(g["q"], g["h"], g["d"], bins["cp"], bins["country"], last,
                                 ("cp", tx.counterparty) in seen, ("dev", tx.device) in seen, tx, self.delay_days)

    def add_transaction(self, conn: Connection, tx: Txn, row: list[float], version: tuple | None = None) -> None:
        """Count ``tx`` (features ``row``) in its bins. ``version`` (PostgreSQL, from ``snapshot_versioned``):
        the card's state must be unchanged since it was read, else SQLSTATE 40001 (the caller retries); without
        it the card's row is read here (locked on PostgreSQL) and written back."""
        ts, card = tx.ts, tx.card
        upsert_bins(conn, _shared_bins(tx, row))
        seen = [{"card": card, "kind": k, "item": i} for k, i in (("cp", tx.counterparty), ("dev", tx.device))
                if i is not None]
        if seen:
            conn.execute(insert_for(conn, FraudSeen.__table__).values(seen).on_conflict_do_nothing())
        postgres = conn.dialect.name == "postgresql"
        if version is not None and len(version) > 2 and version[2] is not None:
            bins, xmin = version[2], version[0]
        else:
            bins, xmin, _ = self._card(conn, card, lock=True)
            if version is not None:
                xmin = version[0]
        bins.add_payment(ts, tx.amount, row)
        text_ = bins.text(floors(ts, self.keep_days))
        if postgres:
            conn.execute(_CARD_CHECKED, {"card": card, "ts": ts, "bins": text_, "version": xmin})
            return
        stmt = insert_for(conn, _CARD).values(card=card, last_ts=ts, bins=text_)
        conn.execute(stmt.on_conflict_do_update(index_elements=["card"], set_={"bins": stmt.excluded.bins, "last_ts": case(
            (_CARD.c.last_ts.is_(None), stmt.excluded.last_ts),
            (stmt.excluded.last_ts > _CARD.c.last_ts, stmt.excluded.last_ts), else_=_CARD.c.last_ts)}))

    def add_label(self, conn: Connection, tx: Txn, delta: int) -> None:
        """A fraud label arrived (+1) or was withdrawn (-1) for ``tx``: its day's bins count it (the card's
        row is read under its lock and written back; a payment of the card that read it before meets a changed
        row and is judged again)."""
        d = tx.ts // DAY
        rows = []
        if tx.counterparty is not None:
            rows.append(_bin_row("cp", tx.counterparty, "d", d, frauds=delta))
        if tx.country is not None:
            rows.append(_bin_row("country", tx.country, "d", d, frauds=delta))
        upsert_bins(conn, rows)
        for _ in range(2):  # a row another transaction inserts meanwhile: read it (locked) and add to it
            bins, _xmin, exists = self._card(conn, tx.card, lock=True)
            bins.add_fraud(d, delta)
            if exists:
                conn.execute(_CARD.update().where(_CARD.c.card == tx.card).values(bins=bins.text()))
                return
            done = conn.execute(insert_for(conn, _CARD).values(card=tx.card, last_ts=None, bins=bins.text())
                                .on_conflict_do_nothing())
            if done.rowcount:
                return

    def replace_all(self, conn: Connection, memory: MemoryStore) -> None:
        """Make the database state equal ``memory`` (after a replay of the whole history)."""
        conn.execute(delete(_BIN))
        conn.execute(delete(FraudSeen.__table__))
        conn.execute(delete(_CARD))
        now = max(memory.last_ts.values(), default=0)
        _bulk(conn, _BIN, _memory_bins(memory, now))
        _bulk(conn, FraudSeen.__table__, ({"card": c, "kind": k, "item": i} for c, k, i in memory.seen))
        _bulk(conn, _CARD, _memory_cards(memory, now))


def _memory_bins(memory: MemoryStore, now: int) -> Iterable[dict]:
    """The counterparties' and countries' bins still inside their windows at ``now`` (older ones can no longer
    be read)."""
    floor = floors(now, memory.keep_days)["d"]
    for kind, table in (("cp", memory.cp_d), ("country", memory.country_d)):
        for key, bins in table.items():
            for slot, b in bins.items():
                if slot > floor:
                    yield _bin_row(kind, key, "d", slot, int(b[0]), b[1], b[2], int(b[3]), int(b[4]), b[5], b[6])


def _memory_cards(memory: MemoryStore, now: int) -> Iterable[dict]:
    """Each card's row: its last payment time and its bins still inside their windows at ``now``."""
    keep = floors(now, memory.keep_days)
    cards = dict.fromkeys(memory.last_ts)
    for table in (memory.card_q, memory.card_h, memory.card_d):
        cards.update(dict.fromkeys(table))
    for card in cards:
        bins = CardBins()
        for grain, table in (("q", memory.card_q), ("h", memory.card_h), ("d", memory.card_d)):
            width = WIDTH[grain]
            bins.grains[grain].update((slot, list(b[:width])) for slot, b in table.get(card, {}).items())
        yield {"card": card, "last_ts": memory.last_ts.get(card), "bins": bins.text(keep)}


def _bulk(conn: Connection, table, rows: Iterable[dict], size: int = 5000) -> None:  # noqa: ANN001
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
