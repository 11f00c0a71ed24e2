"""Notes and coins a drawer is counted in, and counts checked against them.

A count is ``{denomination in minor units: pieces}``. Tables list the notes and coins in circulation
(US Federal Reserve / Mint, ECB, Bank of England, Swiss National Bank, Bank of Japan, Bank of Canada);
a currency not listed cannot be counted, so it cannot be held in a drawer.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from core.drawers.errors import InvalidCount
from core.errors import QenexError
from core.ledger import money
from core.text import InvalidText, compact

MAX_PIECES = 1_000_000  # per denomination in one count: more is a typing slip

_MAJOR = {  # in major units, largest first
    "USD": ("100", "50", "20", "10", "5", "2", "1", "0.50", "0.25", "0.10", "0.05", "0.01"),
    "EUR": ("500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    "GBP": ("50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    "CHF": ("1000", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05"),
    "JPY": ("10000", "5000", "2000", "1000", "500", "100", "50", "10", "5", "1"),
    "CAD": ("100", "50", "20", "10", "5", "2", "1", "0.25", "0.10", "0.05"),
}


def denominations(currency: str) -> tuple[int, ...]:
    """The currency's notes and coins in minor units, largest first (InvalidCount if none are known)."""
    code = money.currency(currency)
    if code not in _MAJOR:
        raise InvalidCount(f"drawers count cash in {', '.join(sorted(_MAJOR))}; {code} has no table of notes "
                           "and coins here, so it cannot be held in a drawer", currency=code)
    return tuple(money.to_minor(d, code) for d in _MAJOR[code])


def label(minor: int, currency: str) -> str:
    """``100.00`` style label of a denomination (plain, no symbol)."""
    return money.plain(minor, currency)


def check(counts: Mapping[int, int], currency: str) -> dict[int, int]:
    """``counts`` checked (known denominations, whole pieces 0..MAX_PIECES) with zero rows dropped."""
    allowed = set(denominations(currency))
    code = money.currency(currency)
    out: dict[int, int] = {}
    for denom, pieces in counts.items():
        if isinstance(denom, bool) or not isinstance(denom, int) or denom not in allowed:
            shown = label(denom, code) if isinstance(denom, int) and not isinstance(denom, bool) else repr(denom)
            raise InvalidCount(f"{shown} is not a {code} note or coin; count in "
                               f"{', '.join(label(d, code) for d in denominations(code))}", currency=code)
        if isinstance(pieces, bool) or not isinstance(pieces, int) or not 0 <= pieces <= MAX_PIECES:
            raise InvalidCount(f"the count of {label(denom, code)} {code} must be a whole number of pieces from 0 "
                               f"to {MAX_PIECES:,}, got {pieces!r}", currency=code)
        if pieces:
            out[denom] = out.get(denom, 0) + pieces
    return out


def total(counts: Mapping[int, int]) -> int:
    return sum(d * n for d, n in counts.items())


def parse_pieces(text: str, what: str) -> int:
    """A count typed at the desk (blank is 0); InvalidCount unless a whole number 0..MAX_PIECES."""
    try:
        value = compact(text or "", what)
    except InvalidText as err:
        raise InvalidCount(err.message) from None
    if value == "":
        return 0
    if not (value.isascii() and value.isdigit()) or len(value) > 7 or int(value) > MAX_PIECES:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise InvalidCount(f"{what}: {shown!r} is not a number of pieces; type a whole number from 0 to "
                           f"{MAX_PIECES:,}")
    return int(value)


def parse_spec(specs: list[str], currency: str) -> dict[int, int]:
    """Counts from the command line: ``DENOMINATIONxPIECES`` items, e.g. ``100x10 0.25x40``."""
    code = money.currency(currency)
    counts: dict[int, int] = {}
    for spec in specs:
        try:
            raw = compact(spec or "", "the count").lower().replace("×", "x").replace("=", "x")
        except InvalidText as err:
            raise InvalidCount(err.message) from None
        if raw.count("x") != 1:
            shown = spec if len(spec) <= 20 else spec[:20] + "…"
            raise InvalidCount(f"count {shown!r} is not DENOMINATIONxPIECES, e.g. 20x15 (fifteen 20s) or "
                               "0.25x40", currency=code)
        denom, pieces = raw.split("x")
        try:
            minor = money.to_minor(denom, code)
        except QenexError as err:
            raise InvalidCount(f"count {spec!r}: {err.message}", currency=code) from None
        n = parse_pieces(pieces, f"count {denom}")
        counts[minor] = counts.get(minor, 0) + n
    return check(counts, code)


def to_json(counts: Mapping[int, int]) -> str:
    return json.dumps({str(d): n for d, n in sorted(counts.items(), reverse=True)})


def from_json(text: str | None) -> dict[int, int]:
    return {int(d): int(n) for d, n in json.loads(text).items()} if text else {}
