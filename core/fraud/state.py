"""Feature state kept in memory (training, backtest); see dbstate.py for the database-backed twin.

State is bins per entity: 5-minute, hourly and daily bins of the card's spending, daily bins of
each counterparty's and country's traffic and frauds (frauds land in the bin of the transaction's
day when its label arrives). Old bins are dropped as new ones open, so memory per entity is bounded.
"""
from __future__ import annotations

from typing import Protocol

from core.fraud.features import INDEX, Snapshot, is_outlier
from core.fraud.txn import DAY, HOUR, QUARTER, Txn

RATIO = INDEX["ratio_30d"]
QUARTER_BINS = 12
HOUR_BINS = 24


def day_bins_kept(delay_days: int) -> int:
    """Days of daily bins an entity keeps: 30-day windows shifted back by the label delay."""
    return delay_days + 32


class StateStore(Protocol):
    def snapshot(self, tx: Txn) -> Snapshot: ...
    def add_transaction(self, tx: Txn, row: list[float]) -> None: ...
    def add_label(self, tx: Txn, delta: int) -> None: ...


def _bin(table: dict, key: str, slot: int, keep: int) -> list[float]:
    """The bin ``slot`` of entity ``key``; bins ``keep`` or more slots older are dropped now and then."""
    bins = table.get(key)
    if bins is None:
        bins = table[key] = {}
    b = bins.get(slot)
    if b is None:
        if len(bins) > keep + (keep >> 2):  # amortized: each scan frees at least keep/4 bins
            for old in [s for s in bins if s <= slot - keep]:
                del bins[old]
        b = bins[slot] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    return b


class MemoryStore:
    """All entities' bins in dictionaries; the reference implementation of the state."""

    def __init__(self, delay_days: int = 7) -> None:
        self.keep_days = day_bins_kept(delay_days)
        self.card_q: dict[str, dict[int, list[float]]] = {}
        self.card_h: dict[str, dict[int, list[float]]] = {}
        self.card_d: dict[str, dict[int, list[float]]] = {}
        self.cp_d: dict[str, dict[int, list[float]]] = {}
        self.country_d: dict[str, dict[int, list[float]]] = {}
        self.last_ts: dict[str, int] = {}
        self.seen: set[tuple[str, str, str]] = set()

    def snapshot(self, tx: Txn) -> Snapshot:
        empty: dict[int, list[float]] = {}
        card = tx.card
        return Snapshot(
            self.card_q.get(card, empty), self.card_h.get(card, empty), self.card_d.get(card, empty),
            self.cp_d.get(tx.counterparty, empty) if tx.counterparty is not None else empty,
            self.country_d.get(tx.country, empty) if tx.country is not None else empty,
            self.last_ts.get(card),
            tx.counterparty is not None and (card, "cp", tx.counterparty) in self.seen,
            tx.device is not None and (card, "dev", tx.device) in self.seen,
        )

    def add_transaction(self, tx: Txn, row: list[float]) -> None:
        """Count ``tx`` (whose feature row is ``row``) in its card's, counterparty's and country's bins."""
        card, ts, amount = tx.card, tx.ts, tx.amount
        keep = self.keep_days
        b = _bin(self.card_q, card, ts // QUARTER, QUARTER_BINS)
        b[0] += 1
        b[1] += amount
        b = _bin(self.card_h, card, ts // HOUR, HOUR_BINS)
        b[0] += 1
        b[1] += amount
        b = _bin(self.card_d, card, ts // DAY, keep)
        b[0] += 1
        b[1] += amount
        b[2] += amount * amount
        if is_outlier(row):
            b[4] += 1
            ratio = row[RATIO]
            if ratio > b[5]:
                b[5] = ratio
        if tx.counterparty is not None:
            b = _bin(self.cp_d, tx.counterparty, ts // DAY, keep)
            b[0] += 1
            b[1] += amount
            self.seen.add((card, "cp", tx.counterparty))
        if tx.country is not None:
            b = _bin(self.country_d, tx.country, ts // DAY, keep)
            b[0] += 1
            b[1] += amount
        if tx.device is not None:
            self.seen.add((card, "dev", tx.device))
        if ts > self.last_ts.get(card, -1):
            self.last_ts[card] = ts

    def add_label(self, tx: Txn, delta: int) -> None:
        """A fraud label arrived (delta +1) or was withdrawn (-1) for an earlier transaction ``tx``."""
        d = tx.ts // DAY
        _bin(self.card_d, tx.card, d, self.keep_days)[3] += delta
        if tx.counterparty is not None:
            _bin(self.cp_d, tx.counterparty, d, self.keep_days)[3] += delta
        if tx.country is not None:
            _bin(self.country_d, tx.country, d, self.keep_days)[3] += delta
