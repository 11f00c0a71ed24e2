"""Amounts as the operator types and reads them, in the operator's locale: thin names over the one
parser and formatter in ``core.ledger.money`` (its ``parse_amount`` is strict: the locale's grouping and
decimal sign, the currency's ISO 4217 decimals, no exponent or rounding)."""
from __future__ import annotations

from core.ledger import money


def operator_locale() -> str:
    """The desk's locale for numbers (``en_US``, ``de_DE`` …): QENEX_LOCALE or the system's, set at start."""
    return money.default_locale()


def parse_amount(text: str, currency: str, locale: str) -> int:
    """Minor units of what the operator typed (``1,000.50`` in en_US, ``1.000,50`` in de_DE); raises the
    ledger's typed errors with plain messages that show the accepted form."""
    return money.parse_amount(text, currency, locale)


def show(minor: int, currency: str, locale: str) -> str:
    return money.format_minor(minor, currency, locale)
