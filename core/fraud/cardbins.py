"""A card's time bins, kept as text in its ``fraud_cards`` row and read and written whole with that row.

Every payment reads its card's row anyway (the last payment's time and the row's version, which the write checks)
and updates it; keeping the card's 5-minute, hourly and daily bins in the same row spares the server a range scan
of some fifty index entries on the read and, on the write, the inserts, index entries and deletes of separate bin
rows (issue 9: 13 of the desk write's 41 WAL records were the card's bins). Counterparties' and countries' bins
stay rows in ``fraud_bins``: many cards add to them at once, so they are upserted atomically.

Text form (``fraud_cards.bins``): parts joined by ``;``, one per bin, ``<grain><slot>:<values>``: grain ``q``,
``h`` or ``d`` (core.fraud.txn: QUARTER, HOUR, DAY), slot = time // grain, then the bin's values in the order of
MemoryStore's lists (n, total, sumsq, frauds, outliers, outlier_total, max_ratio) as Python's shortest
round-trip float text with trailing zeros left out: ``d20514:2,150.5,11325.25``. Floats read back bit for bit,
so the features equal a replay in memory (tests/ledger/test_desk_path.py) as they did with bin rows.
"""
from __future__ import annotations

from core.fraud.features import is_outlier
from core.fraud.state import HOUR_BINS, QUARTER_BINS, RATIO
from core.fraud.txn import DAY, HOUR, QUARTER

WIDTH = 7  # values per bin (MemoryStore)


def _number(v: float) -> str:
    s = repr(float(v))  # the shortest text that reads back as the same float
    return s[:-2] if s.endswith(".0") else s


def bin_text(grain: str, slot: int, values: list[float]) -> str:
    """One bin's part of the text (trailing zero values left out)."""
    end = len(values)
    while end and values[end - 1] == 0:
        end -= 1
    return f"{grain}{slot}:" + ",".join(map(_number, values[:end]))


class CardBins:
    """A card's bins parsed from its row's text: ``grains['q'|'h'|'d'][slot]`` = a list of WIDTH floats.

    ``add_payment`` and ``add_fraud`` change bins in place; ``text(floors)`` writes the parts back, reusing
    the text of every bin left unchanged, without the bins at or below a grain's floor (windows passed).
    """

    __slots__ = ("grains", "_parts", "_changed")

    def __init__(self, text: str | None = None) -> None:
        self.grains: dict[str, dict[int, list[float]]] = {"q": {}, "h": {}, "d": {}}
        self._parts: dict[tuple[str, int], str] = {}
        self._changed: set[tuple[str, int]] = set()
        if text:
            grains, parts = self.grains, self._parts
            for part in text.split(";"):
                head, _, body = part.partition(":")
                grain, slot = head[0], int(head[1:])
                values = list(map(float, body.split(","))) if body else []
                if len(values) < WIDTH:
                    values += [0.0] * (WIDTH - len(values))
                grains[grain][slot] = values
                parts[(grain, slot)] = part

    def _bin(self, grain: str, slot: int) -> list[float]:
        b = self.grains[grain].get(slot)
        if b is None:
            b = self.grains[grain][slot] = [0.0] * WIDTH
        self._changed.add((grain, slot))
        return b

    def add_payment(self, ts: int, amount: float, row: list[float]) -> None:
        """Count a payment at ``ts`` (epoch seconds) of ``amount`` (major units) whose feature row is ``row``,
        as MemoryStore.add_transaction counts it in the card's bins."""
        b = self._bin("q", ts // QUARTER)
        b[0] += 1
        b[1] += amount
        b = self._bin("h", ts // HOUR)
        b[0] += 1
        b[1] += amount
        b = self._bin("d", ts // DAY)
        b[0] += 1
        b[1] += amount
        b[2] += amount * amount
        if is_outlier(row):
            b[4] += 1
            b[5] += amount
            if row[RATIO] > b[6]:
                b[6] = row[RATIO]

    def add_fraud(self, day: int, delta: int) -> None:
        """A fraud label arrived (+1) or was withdrawn (-1) for a payment of day ``day`` (ts // DAY)."""
        self._bin("d", day)[3] += delta

    def text(self, floors: dict[str, int] | None = None) -> str:
        """The row's text; ``floors``: per grain, the highest slot no longer kept (None: keep every bin)."""
        out = []
        for grain, bins in self.grains.items():
            floor = floors[grain] if floors is not None else None
            for slot, values in bins.items():
                if floor is not None and slot <= floor:
                    continue
                key = (grain, slot)
                part = self._parts.get(key) if key not in self._changed else None
                out.append(part if part is not None else bin_text(grain, slot, values))
        return ";".join(out)


def floors(ts: int, keep_days: int) -> dict[str, int]:
    """Per grain, the highest slot a payment at ``ts`` no longer needs (core.fraud.state's windows)."""
    return {"q": ts // QUARTER - QUARTER_BINS, "h": ts // HOUR - HOUR_BINS, "d": ts // DAY - keep_days}
