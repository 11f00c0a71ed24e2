"""Feature state kept in memory (training, backtest); dbstate.py is its database twin.

State is bins per entity: 5-minute, hourly and daily bins of the card's spending, daily bins of
each counterparty's and country's traffic and frauds (frauds land in the bin of the transaction's
day when its label arrives; a counterparty's day also keeps the largest ratio_usual_30d of its
payments). Old bins are dropped as new ones open, so memory per entity is bounded.
Whole-past-day aggregates are cached per entity and day and dropped when a label or a late
transaction changes a past day.
"""
from __future__ import annotations

from typing import Protocol

from core.fraud import features
from core.fraud.features import INDEX, NO_RISK, Snapshot, is_outlier
from core.fraud.txn import DAY, HOUR, QUARTER, Txn

RATIO = INDEX["ratio_usual_30d"]
QUARTER_BINS = 12
HOUR_BINS = 24


def day_bins_kept(delay_days: int) -> int:
    """Days of daily bins an entity keeps: 30-day windows shifted back by the label delay."""
    return delay_days + 32


def count_payment(q: list[float], h: list[float], d: list[float], amount: float, row: list[float]) -> None:
    """Count a payment of ``amount`` (major units) whose feature row is ``row`` in its card's 5-minute, hourly
    and daily bins (lists: n, total[, sumsq, frauds, outliers, outlier_total, max_ratio]); MemoryStore and the
    database's card rows (core.fraud.cardbins) count alike."""
    q[0] += 1
    q[1] += amount
    h[0] += 1
    h[1] += amount
    d[0] += 1
    d[1] += amount
    d[2] += amount * amount
    if is_outlier(row):
        d[4] += 1
        d[5] += amount
        if row[RATIO] > d[6]:
            d[6] = row[RATIO]


class StateStore(Protocol):
    """What the replay needs from a store (MemoryStore; DatabaseStore takes a connection first)."""

    def snapshot(self, tx: Txn) -> Snapshot: ...
    def add_transaction(self, tx: Txn, row: list[float]) -> None: ...
    def add_label(self, tx: Txn, delta: int) -> None: ...


def _bin(table: dict, key: str, slot: int, keep: int) -> list[float]:
    """The bin ``slot`` of entity ``key``, opening it if new (dropping bins ``keep`` slots older once
    the entity holds ``keep`` bins, so an entity never holds more than keep + 1)."""
    bins = table.get(key)
    if bins is None:
        bins = table[key] = {}
    b = bins.get(slot)
    if b is None:
        if len(bins) >= keep:
            for old in [s for s in bins if s <= slot - keep]:
                del bins[old]
        b = bins[slot] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    return b


class MemoryStore:
    """All entities' bins in dictionaries; the reference implementation of the state."""

    def __init__(self, delay_days: int = 7) -> None:
        self.delay_days = delay_days
        self.keep_days = day_bins_kept(delay_days)
        self.card_q: dict[str, dict[int, list[float]]] = {}
        self.card_h: dict[str, dict[int, list[float]]] = {}
        self.card_d: dict[str, dict[int, list[float]]] = {}
        self.cp_d: dict[str, dict[int, list[float]]] = {}
        self.country_d: dict[str, dict[int, list[float]]] = {}
        self.last_ts: dict[str, int] = {}
        self.seen: set[tuple[str, str, str]] = set()
        self._past: dict[str, tuple[int, tuple[float, ...]]] = {}
        self._risk: dict[tuple[str, str], tuple[int, tuple[float, ...]]] = {}

    def _risk_of(self, kind: str, table: dict, key: str | None, d: int) -> tuple[float, ...]:
        if key is None:
            return NO_RISK
        hit = self._risk.get((kind, key))
        if hit is not None and hit[0] == d:
            return hit[1]
        value = features.risk(table.get(key, {}), d, self.delay_days)
        self._risk[(kind, key)] = (d, value)
        return value

    def snapshot(self, tx: Txn) -> Snapshot:
        card, d = tx.card, tx.ts // DAY
        days = self.card_d.get(card)
        hit = self._past.get(card)
        if hit is not None and hit[0] == d:
            past = hit[1]
        else:
            past = features.card_past(days or {}, d, self.delay_days)
            self._past[card] = (d, past)
        return Snapshot(
            self.card_q.get(card, {}), self.card_h.get(card, {}), days.get(d) if days else None, past,
            self._risk_of("cp", self.cp_d, tx.counterparty, d),
            self._risk_of("country", self.country_d, tx.country, d),
            self.last_ts.get(card),
            tx.counterparty is not None and (card, "cp", tx.counterparty) in self.seen,
            tx.device is not None and (card, "dev", tx.device) in self.seen,
        )

    def _touch(self, card: str, counterparty: str | None, country: str | None, d: int, *, label: bool) -> None:
        """Forget cached past-day aggregates that a change to day ``d`` invalidates."""
        hit = self._past.get(card)
        if hit is not None and (label or hit[0] > d):
            del self._past[card]
        for key in (("cp", counterparty), ("country", country)):
            hit = self._risk.get(key)
            if hit is not None and (label or hit[0] > d):
                del self._risk[key]

    def add_transaction(self, tx: Txn, row: list[float]) -> None:
        """Count ``tx`` (whose feature row is ``row``) in its card's, counterparty's and country's bins."""
        card, ts, amount = tx.card, tx.ts, tx.amount
        d = ts // DAY
        count_payment(_bin(self.card_q, card, ts // QUARTER, QUARTER_BINS),
                      _bin(self.card_h, card, ts // HOUR, HOUR_BINS), _bin(self.card_d, card, d, self.keep_days),
                      amount, row)
        if tx.counterparty is not None:
            b = _bin(self.cp_d, tx.counterparty, d, self.keep_days)
            b[0] += 1
            b[1] += amount
            if row[RATIO] > b[6]:  # the day's most unusual payment for its own card (features.fraud_run)
                b[6] = row[RATIO]
            self.seen.add((card, "cp", tx.counterparty))
        if tx.country is not None:
            b = _bin(self.country_d, tx.country, d, self.keep_days)
            b[0] += 1
            b[1] += amount
        if tx.device is not None:
            self.seen.add((card, "dev", tx.device))
        if ts > self.last_ts.get(card, -1):
            self.last_ts[card] = ts
        self._touch(card, tx.counterparty, tx.country, d, label=False)

    def add_label(self, tx: Txn, delta: int) -> None:
        """A fraud label arrived (delta +1) or was withdrawn (-1) for an earlier transaction ``tx``."""
        d = tx.ts // DAY
        _bin(self.card_d, tx.card, d, self.keep_days)[3] += delta
        if tx.counterparty is not None:
            _bin(self.cp_d, tx.counterparty, d, self.keep_days)[3] += delta
        if tx.country is not None:
            _bin(self.country_d, tx.country, d, self.keep_days)[3] += delta
        self._touch(tx.card, tx.counterparty, tx.country, d, label=True)
