"""Money at the edges: ISO 4217 currencies, exponents, parsing to and formatting from integer minor units."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, is_currency

from core.ledger.errors import InvalidAmount, TooManyDecimals, UnknownCurrency

# ISO 4217 codes that are not money a bank account can hold (no currency, testing, precious metals, funds).
_NOT_ACCOUNT_CURRENCIES = {"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"}


@lru_cache(maxsize=512)
def currency(code: str) -> str:
    """The normalized ISO 4217 code, or UnknownCurrency."""
    norm = (code or "").strip().upper()
    if len(norm) != 3 or not norm.isalpha() or norm in _NOT_ACCOUNT_CURRENCIES or not is_currency(norm):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code", currency=code)
    return norm


@lru_cache(maxsize=512)
def exponent(code: str) -> int:
    """Digits after the decimal point: JPY 0, USD 2, BHD 3."""
    return get_currency_precision(currency(code))


def to_minor(amount: str | int | Decimal, code: str) -> int:
    """Parse a positive decimal amount (``"12.34"``) into integer minor units of ``code``."""
    if isinstance(amount, float):
        raise InvalidAmount("amounts must not be floats; pass a string or Decimal")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise InvalidAmount(f"{amount!r} is not an amount", amount=amount) from None
    if not value.is_finite():
        raise InvalidAmount(f"{amount!r} is not an amount", amount=amount)
    if value <= 0:
        raise InvalidAmount(f"the amount must be positive, got {amount}", amount=amount)
    exp = exponent(code)
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        places = -value.normalize().as_tuple().exponent
        allowed = "no decimals" if exp == 0 else f"at most {exp} decimal{'s' if exp != 1 else ''}"
        raise TooManyDecimals(f"{currency(code)} amounts have {allowed}; {amount} has {places}",
                              amount=amount, currency=currency(code))
    return int(minor)


def from_minor(minor: int, code: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(code))


def format_minor(minor: int, code: str, locale: str = "en_US") -> str:
    """Human formatting with the currency's own decimals, e.g. ``$1,234.50`` or ``¥1,235``."""
    return format_currency(from_minor(minor, code), currency(code), locale=locale)


def plain(minor: int, code: str) -> str:
    """Machine formatting: ``-1234.50`` (for --json and files)."""
    return f"{from_minor(minor, code):f}"
