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


def file_path(value: str):  # noqa: ANN201 - a pathlib.Path
    """An argparse type: a file's name (refuses an empty one, which would mean the current folder)."""
    from pathlib import Path

    if not value.strip():
        raise argparse.ArgumentTypeError("a file name is needed, got an empty one")
    return Path(value)


file_path.__name__ = "a file name"


class UsageError(Exception):
    """Arguments a handler finds missing or contradictory (what argparse cannot say): exit 2 like argparse,
    naming the sub-command's ``--help`` (``app.cli.main``)."""

    def __init__(self, prog: str | None, message: str) -> None:
        super().__init__(message)
        self.prog, self.message = prog, message  # prog None: the command the words of the command line name


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def customer(value: str) -> int:
    """An argparse type: the customer NUMBER shown everywhere (``700003783``: 7, the id in seven digits, a
    check digit; ``core.teller.identifiers``) read as the customer's id; a plain id (``378``) still works."""
    try:
        text = compact(value).replace("-", "")
    except InvalidText:
        text = ""
    if text.isascii() and text.isdigit() and len(text) == 9 and text.startswith("7"):
        if not _luhn_ok(text):
            raise argparse.ArgumentTypeError(f"{value!r} is not a customer number: its check digit is wrong "
                                             "(a digit mistyped?)")
        return int(text[1:-1])
    if text.isascii() and text.isdigit() and len(text) <= 8 and int(text) >= 1:
        return int(text)
    shown = value if len(value) <= 24 else value[:24] + "…"
    raise argparse.ArgumentTypeError(f"a customer number (nine digits starting with 7, e.g. 700000125) is needed, "
                                     f"got {shown!r}")


customer.__name__ = "a customer number"
CUSTOMER = customer
LIMIT = whole(1, 10_000, "a number of rows")
OFFSET = whole(0, INT64_MAX, "a number of rows to skip")
TIMEOUT = whole(1, MAX_TIMEOUT_SECONDS, "a timeout in seconds (at most 30 days)")
DAYS = whole(0, 3_650, "a number of days")


# The --help line of an option or argument registered without its own (``app.cli._fill_help``), by its name.
HELP = {
    "json": "machine-readable output", "note": "a note saying why (free text)", "id": "the number the list shows",
    "ids": "one or more numbers", "limit": "at most this many rows (default as listed)",
    "offset": "skip this many rows first (the next page)", "name": "the user name or name",
    "case": "the case's number", "amount": "the amount in the currency's units, e.g. 12.34",
    "currency": "the currency code, e.g. USD (default: the account's currency)", "payment": "the payment's id",
    "account": "the account number (ten digits)", "status": "only rows in this state", "order": "the order's id",
    "description": "a description shown on statements", "transfer_id": "the transfer's id",
    "pending_id": "the id of the pending transfer", "sort": "the order of the rows", "rail": "the payment rail",
    "outcome": "the outcome", "reason": "the reason (free text)", "drawer": "the drawer's name, e.g. D1",
    "instruction": "the standing instruction's number", "query": "a name, customer number, account number or IBAN",
    "token": "the vault token of the stored card", "role": "the role: teller, analyst, supervisor or admin",
    "channel": "only this channel", "min_amount": "only amounts of at least this much",
    "max_amount": "only amounts of at most this much", "to": "the user to hand it to", "title": "the case's title",
    "alerts": "the alerts' numbers", "target": "the case that stays", "source": "the case merged into it",
    "file": "the file to attach", "state": "only requests in this state", "action": "what to ask approval for",
    "pdf": "write the report as a PDF to this file", "every": "how often it runs",
}


def clip(text: str | None, width: int) -> str:
    """``text`` in a table column of ``width`` characters: whole when it fits, else cut after the last whole
    word that fits with "…" (never mid-number, as "$1" for $10,000.00), padded to ``width``."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return text.ljust(width)
    head = text[:width - 1]
    if " " in head and text[width - 1] != " ":
        head = head[:head.rindex(" ")]
    return (head.rstrip(" ,;:") + "…").ljust(width)
