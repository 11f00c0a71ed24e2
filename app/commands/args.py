"""Argument types for the command line: whole numbers within documented bounds, read like typed text.

Each refuses with a one-line reason (argparse prints it as ``qenex: usage: ...``). Numbers are read
through ``core.text.compact``, so full-width or other Unicode digits count as digits.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

from core.text import InvalidText, compact

# core.ledger.money.INT64_MAX and core.ledger.posting.MAX_TIMEOUT_SECONDS, not imported (the ledger's imports
# would slow every command's start; tests/cli/test_startup.py checks they agree)
INT64_MAX = 2**63 - 1
MAX_TIMEOUT_SECONDS = 30 * 24 * 3600


def whole(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (inclusive)."""

    def parse(value: str) -> int:
        try:
            text = compact(value)
        except InvalidText:
            text = ""
        digits = text[1:] if text[:1] == "-" else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or not low <= int(text) <= high:
            shown = value if len(value) <= 24 else value[:24] + "…"
            raise argparse.ArgumentTypeError(f"{what} from {low:,} to {high:,} is needed, got {shown!r}")
        return int(text)

    parse.__name__ = what  # argparse names the type in some messages
    return parse


ID = whole(1, INT64_MAX, "an id")
LIMIT = whole(1, 10_000, "a number of rows")
OFFSET = whole(0, INT64_MAX, "a number of rows to skip")
TIMEOUT = whole(1, MAX_TIMEOUT_SECONDS, "a timeout in seconds (at most 30 days)")
DAYS = whole(0, 3_650, "a number of days")
