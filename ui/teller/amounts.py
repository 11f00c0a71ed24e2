"""Amounts as the operator types and reads them: the operator's locale (babel) for grouping and the
decimal sign, the currency's own decimals (``core.ledger.money``)."""
from __future__ import annotations

from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal
from PySide6.QtCore import QLocale

from core.errors import QenexError
from core.ledger import money
from core.ledger.errors import InvalidAmount


def operator_locale() -> str:
    """The desk's locale for numbers (``en_US``, ``de_DE`` …); ``en_US`` when the system says "C"."""
    name = QLocale.system().name()
    return "en_US" if name in ("C", "", "POSIX") else name


def parse_amount(text: str, currency: str, locale: str) -> int:
    """Minor units of what the operator typed, grouped and with the decimal sign of ``locale`` (strict:
    "1,000.50" in en_US, "1.000,50" in de_DE); raises the ledger's typed errors with plain messages."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidAmount("enter an amount")
    try:
        value = parse_decimal(raw, locale=locale, strict=True)
    except NumberFormatError:
        example = money.format_minor(123456, currency, locale).replace(money.currency(currency), "").strip()
        raise InvalidAmount(f"{raw!r} is not an amount; type it like {_plain_example(locale)} "
                            f"(decimal sign {get_decimal_symbol(locale)!r}, groups {get_group_symbol(locale)!r})",
                            amount=raw, example=example) from None
    try:
        return money.to_minor(value, currency)
    except QenexError:
        raise


def _plain_example(locale: str) -> str:
    return f"1{get_group_symbol(locale)}234{get_decimal_symbol(locale)}56"


def show(minor: int, currency: str, locale: str) -> str:
    return money.format_minor(minor, currency, locale)
