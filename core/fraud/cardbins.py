"""A card's time bins, kept as text in its ``fraud_cards`` row and read and written whole with that row.

Every payment reads its card's row anyway (the last payment's time and the row's version, which the write checks)
and updates it; keeping the card's 5-minute, hourly and daily bins in the same row spares the server a range scan
of some fifty index entries on the read and, on the write, the inserts, index entries and deletes of separate bin
rows (issue 9: 13 of the desk write's 41 WAL records were the card's bins). Counterparties' and countries' bins
stay rows in ``fraud_bins``: many cards add to them at once, so they are upserted atomically.

Text form (``fraud_cards.bins``): three sections joined by ``|``, the 5-minute, hourly and daily bins (grains
``q``, ``h``, ``d``: core.fraud.txn QUARTER, HOUR, DAY), each a list of bins joined by ``;``; a bin is its slot
(time // grain) and its values joined by ``,``: for ``q`` and ``h`` the count and sum (n, total), for ``d`` the
seven values of MemoryStore's lists (n, total, sumsq, frauds, outliers, outlier_total, max_ratio). Numbers are
the shortest text that reads back as the same float (Python's ``repr``, PostgreSQL's ``extra_float_digits = 3``),
so the features equal a replay in memory (tests/ledger/test_desk_path.py) as they did with bin rows. Example:
``5881920,1,12.5|490160,1,12.5;490161,2,30|20423,3,42.5,706.25,0,0,0,0``. A section parses with one split and
one ``map(float, ...)``; a payment re-writes only its three bins' text, the others are written as they were read.
"""
from __future__ import annotations

from core.fraud.state import HOUR_BINS, QUARTER_BINS, count_payment
from core.fraud.txn import DAY, HOUR, QUARTER

GRAINS = ("q", "h", "d")
WIDTH = {"q": 2, "h": 2, "d": 7}  # values per bin


def _number(v: float) -> str:
    s = repr(float(v))  # the shortest text that reads back as the same float
    return s[:-2] if s.endswith(".0") else s


def bin_text(slot: int, values: list[float]) -> str:
    """One bin's text: its slot and values."""
    return f"{slot}," + ",".join(map(_number, values))


class CardBins:
    """A card's bins parsed from its row's text: ``grains['q'|'h'|'d'][slot]`` = a list of WIDTH[grain] floats.

    ``add_payment`` and ``add_fraud`` change bins in place; ``text(floors)`` writes them back, reusing the
    text of every bin left unchanged, without the bins at or below a grain's floor (windows passed).
    Raises ValueError on a text that is not this form.
    """

    __slots__ = ("grains", "_sections", "_changed")

    def __init__(self, text: str | None = None) -> None:
        self.grains: dict[str, dict[int, list[float]]] = {"q": {}, "h": {}, "d": {}}
        self._sections: dict[str, str] = {}  # each grain's text as read (reused when nothing in it changes)
        self._changed: set[tuple[str, int]] = set()
        if not text:
            return
        sections = text.split("|")
        if len(sections) != 3:
            raise ValueError(f"a card's bins need 3 sections, not {len(sections)}")
        for grain, section in zip(GRAINS, sections):
            if not section:
                continue
            step = WIDTH[grain] + 1
            numbers = list(map(float, section.replace(";", ",").split(",")))
            if len(numbers) % step or len(numbers) != step * (section.count(";") + 1):
                raise ValueError(f"a card's {grain} bins need {step} numbers each")
            self.grains[grain] = dict(zip(map(int, numbers[::step]),
                                          [numbers[i + 1:i + step] for i in range(0, len(numbers), step)]))
            if len(self.grains[grain]) * step != len(numbers):
                raise ValueError(f"a card's {grain} bins name a slot twice")
            self._sections[grain] = section

    def _bin(self, grain: str, slot: int) -> list[float]:
        b = self.grains[grain].get(slot)
        if b is None:
            b = self.grains[grain][slot] = [0.0] * WIDTH[grain]
        self._changed.add((grain, slot))
        return b

    def add_payment(self, ts: int, amount: float, row: list[float]) -> None:
        """Count a payment at ``ts`` (epoch seconds) of ``amount`` (major units) whose feature row is ``row``,
        as MemoryStore.add_transaction counts it in the card's bins."""
        count_payment(self._bin("q", ts // QUARTER), self._bin("h", ts // HOUR), self._bin("d", ts // DAY), amount, row)

    def add_fraud(self, day: int, delta: int) -> None:
        """A fraud label arrived (+1) or was withdrawn (-1) for a payment of day ``day`` (ts // DAY)."""
        self._bin("d", day)[3] += delta

    def text(self, floors: dict[str, int] | None = None) -> str:
        """The row's text; ``floors``: per grain, the highest slot no longer kept (None: keep every bin)."""
        changed = self._changed
        out = []
        for grain in GRAINS:
            bins = self.grains[grain]
            floor = floors[grain] if floors is not None else None
            section = self._sections.get(grain)
            touched = any(g == grain for g, _ in changed)
            if section is not None and not touched and (floor is None or min(bins) > floor):
                out.append(section)  # nothing in it changed or passed its window: as read
                continue
            raw = dict(zip(bins, section.split(";"))) if section is not None else {}  # read slots come first
            out.append(";".join(
                raw[slot] if slot in raw and (grain, slot) not in changed else bin_text(slot, values)
                for slot, values in bins.items() if floor is None or slot > floor))
        return "|".join(out)


def floors(ts: int, keep_days: int) -> dict[str, int]:
    """Per grain, the highest slot a payment at ``ts`` no longer needs (core.fraud.state's windows)."""
    return {"q": ts // QUARTER - QUARTER_BINS, "h": ts // HOUR - HOUR_BINS, "d": ts // DAY - keep_days}
