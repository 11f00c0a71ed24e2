"""Money at the edges: ISO 4217 currencies and exponents, strict parsing into integer minor units, formatting.

Every place that reads an amount (forms, command line, files) goes through ``to_minor`` (the plain
form ``1234.50`` that scripts and files use) or ``parse_amount`` (the operator's locale, for forms).
Both give the exact integer of minor units or raise a typed refusal; they never round:

- at most one decimal point and at most the currency's decimals: ``12.345`` USD is refused, not rounded;
- digits only (of any script, see ``core.text``): no exponent (``1e3``), sign, ``NaN``, ``Infinity``,
  fractions or superscripts;
- within the ledger's 64-bit range (``INT64_MAX`` minor units); a transfer also within ``max_transfer``.

Exponents (digits after the decimal point) come from the ISO 4217 table of the ``iso4217`` package
(ISO 4217 list one: IQD 3, HUF 2, COP 2, JPY 0); babel's CLDR data is used for display only, never for
minor units (CLDR's digits give IQD, HUF and COP 0).
"""
from __future__ import annotations

import copy
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

import iso4217
from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

from core.errors import ConfigurationError
from core.ledger.errors import AmountTooLarge, InvalidAmount, TooManyDecimals, UnknownCurrency
from core.text import InvalidText, clean, compact
from core.words import counted

INT64_MAX = 2**63 - 1  # every amount, balance and total column is a signed 64-bit integer
MAX_TRANSFER_MINOR = 10**15  # per transfer, in minor units of any currency (see max_transfer)

# ISO 4217 list one: active codes with a numeric exponent ("N.A." marks gold, testing, SDR and other
# units no account holds).
_EXPONENTS: dict[str, int] = {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}
ISO4217_PUBLISHED = iso4217.__published__  # the edition of the table, for messages and the README

_PLAIN = re.compile(r"(\d*)(?:\.(\d*))?", re.ASCII)
_MAX_DIGITS = len(str(INT64_MAX))  # 19: more integer digits than this cannot fit, whatever the exponent
_default_locale = "en_US"


def active_currencies() -> dict[str, int]:
    """Every active ISO 4217 code with its exponent (a copy)."""
    return dict(_EXPONENTS)


def currency(code: str) -> str:
    """The normalized ISO 4217 code (``" usd"`` -> ``"USD"``), or UnknownCurrency."""
    if not isinstance(code, str):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code", currency=str(code))
    return _currency(code)


@lru_cache(maxsize=1024)
def _currency(code: str) -> str:
    try:
        norm = compact(code).upper()
    except InvalidText:
        norm = ""
    if norm not in _EXPONENTS:
        what = f"{code!r} is not" if code.strip() else "no currency given:"
        raise UnknownCurrency(f"{what} an active ISO 4217 currency code (for example USD, EUR, JPY)",
                              currency=code)
    return norm


def exponent(code: str) -> int:
    """Digits after the decimal point from ISO 4217: JPY 0, USD 2, IQD 3, CLF 4."""
    return _EXPONENTS[currency(code)]


def max_transfer(code: str) -> int:
    """The largest amount one transfer may move, in minor units of ``code``.

    10**15 minor units in every currency: 10,000,000,000,000.00 USD, 1,000,000,000,000,000 JPY,
    1,000,000,000,000.000 IQD. It keeps every account's cumulative totals (64-bit) able to take at
    least 9,223 transfers of the largest size, so the bank's own cash and clearing accounts, which
    take every deposit and payment, do not fill up.
    """
    currency(code)
    return MAX_TRANSFER_MINOR


def check_transfer_amount(minor: int, code: str) -> None:
    """Raise AmountTooLarge when ``minor`` is above ``max_transfer(code)``."""
    limit = max_transfer(code)
    if minor > limit:
        raise AmountTooLarge(f"one transfer moves at most {format_number(limit, code)} {currency(code)}; "
                             f"{format_number(minor, code)} was asked: split it into several transfers",
                             amount=plain(minor, code), maximum=plain(limit, code))


def _decimals_error(shown: str, code: str, decimals: int) -> TooManyDecimals:
    exp = exponent(code)
    allowed = "no decimals" if exp == 0 else f"at most {counted(exp, 'decimal')}"
    return TooManyDecimals(f"{code} amounts have {allowed}; {shown} has {decimals}", amount=shown, currency=code)


def _too_large(shown: str, code: str) -> AmountTooLarge:
    return AmountTooLarge(f"{shown} {code} is more than the ledger can hold (at most "
                          f"{format_number(INT64_MAX, code)} {code})",
                          amount=shown)


def to_minor(amount: str | int | Decimal, code: str, *, allow_zero: bool = False) -> int:
    """Exact integer minor units of ``amount`` (plain form: ``"1234.50"``, ``".5"``, ``"5."``) in ``code``.

    ``amount`` is text as typed or read from a file (normalised by ``core.text.compact``), an int of
    major units, or a finite Decimal. ``allow_zero`` accepts 0 (limits); amounts are otherwise positive.
    Raises UnknownCurrency, InvalidAmount, TooManyDecimals or AmountTooLarge; never rounds.
    """
    code = currency(code)
    exp = exponent(code)
    if isinstance(amount, Decimal):
        return _decimal_minor(amount, code, exp, allow_zero)
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    if not isinstance(amount, str):
        raise InvalidAmount(f"an amount is text like 12.34, not {type(amount).__name__}", amount=repr(amount))
    shown = amount.strip()[:40] + ("…" if len(amount.strip()) > 40 else "")
    if any(unicodedata.category(ch) == "No" for ch in amount):  # ½ ² ①: numbers, but not typed digits
        raise InvalidAmount(f"{shown!r} is not an amount: type digits with one decimal point, e.g. 1234.50",
                            amount=shown)
    try:
        text = compact(amount, "the amount").replace("\u066b", ".")  # the Arabic decimal separator
    except InvalidText as err:
        raise InvalidAmount(err.message, amount=shown) from None
    negative = text.startswith("-") and _PLAIN.fullmatch(text[1:]) is not None
    match = None if negative else _PLAIN.fullmatch(text)
    if match is None or not (match[1] or match[2]):
        if negative:
            raise InvalidAmount(f"amounts are positive: type {shown[1:]} without the minus sign", amount=shown)
        what = "no amount given" if not text else f"{shown!r} is not an amount"
        raise InvalidAmount(f"{what}: type digits with at most one decimal point, e.g. 1234.50 "
                            "(no exponent, sign or grouping)", amount=shown, reason="format")
    whole, frac = match[1].lstrip("0"), match[2] or ""
    if len(frac) > exp:
        raise _decimals_error(shown, code, len(frac))
    if len(whole) > _MAX_DIGITS:
        raise _too_large(shown, code)
    minor = int(whole or "0") * 10**exp + int(frac.ljust(exp, "0") or "0")
    return _checked_minor(minor, shown, code, allow_zero)


def _decimal_minor(value: Decimal, code: str, exp: int, allow_zero: bool) -> int:
    if not value.is_finite():
        raise InvalidAmount(f"{value} is not an amount", amount=str(value))
    sign, digits, e = value.as_tuple()
    shown = f"{value:f}" if abs(e) < 40 and len(digits) < 40 else str(value)
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    text = "".join(map(str, digits)).lstrip("0")
    significant = text.rstrip("0")
    e += len(text) - len(significant)  # trailing zeros only move the exponent (1.000 is 1)
    if sign and significant:
        raise InvalidAmount(f"amounts are positive, got {shown}", amount=shown)
    if significant and len(significant) + e > _MAX_DIGITS:
        raise _too_large(shown, code)
    if significant and -e > exp:
        raise _decimals_error(shown, code, -e)
    coefficient = int(significant or "0")
    shift = e + exp
    return _checked_minor(coefficient * 10**shift if significant else 0, shown, code, allow_zero)


def _checked_minor(minor: int, shown: str, code: str, allow_zero: bool) -> int:
    if minor == 0 and not allow_zero:
        raise InvalidAmount(f"the amount must be more than zero, got {shown}", amount=shown)
    if minor > INT64_MAX:
        raise _too_large(shown, code)
    return minor


# -- the operator's locale (forms) ------------------------------------------------------------------

def locale_name(name: str | None) -> str:
    """A babel locale name for ``name`` (``"de_DE"``, ``"de-DE"``; POSIX/C or empty -> ``en_US``).

    Raises ConfigurationError for a locale babel does not know.
    """
    raw = (name or "").split(".")[0].split("@")[0].replace("-", "_").strip()
    if raw in ("", "C", "POSIX", "en_US_POSIX"):
        return "en_US"
    try:
        return str(Locale.parse(raw))
    except (UnknownLocaleError, ValueError):
        raise ConfigurationError(f"unknown locale {name!r}; use a name like en_US or de_DE") from None


def set_default_locale(name: str | None) -> str:
    """Set the process's locale for ``parse_amount`` and ``format_minor`` (the console does this at
    start from QENEX_LOCALE or the system's). Returns the babel name it uses."""
    global _default_locale
    _default_locale = locale_name(name)
    return _default_locale


def default_locale() -> str:
    return _default_locale


def example(code: str, locale: str | None = None) -> str:
    """How an amount is typed in ``locale``: ``1,234.50`` (en_US), ``1.234,50`` (de_DE), ``1,234`` (JPY)."""
    exp = exponent(code)
    return format_number(int("1234" + ("5" + "0" * (exp - 1) if exp else "")), code, locale)


def parse_amount(text: str, code: str, locale: str | None = None) -> int:
    """Exact minor units of an amount typed in the operator's ``locale`` (default: ``default_locale()``).

    Group separators are accepted where the locale puts them (babel's strict parsing: ``1,000.00`` in
    en_US, ``1.000,00`` in de_DE, ``1 000,00`` in fr_FR) or left out; anything else is refused with a
    message that shows the accepted form. Then the rules of ``to_minor``; raises what it raises.
    """
    locale = locale_name(locale or _default_locale)
    code = currency(code)
    if not isinstance(text, str) or any(unicodedata.category(ch) == "No" for ch in text):
        return to_minor(text, code)  # refuses, saying why
    try:
        typed = "".join(compact(ch) if ch.isdigit() else ch for ch in clean(text, "the amount"))
    except InvalidText as err:
        raise InvalidAmount(err.message) from None
    if not typed:
        raise InvalidAmount(f"enter an amount, e.g. {example(code, locale)}")
    if typed[:1] in ("-", "\u2212"):
        raise InvalidAmount(f"amounts are positive: type {typed[1:]} without the minus sign", amount=typed)
    group, point = get_group_symbol(locale), get_decimal_symbol(locale)
    group_typed = unicodedata.normalize("NFKC", group)  # a no-break space is typed as a space
    refusal = InvalidAmount(f"{typed!r} is not an amount as written in {Locale.parse(locale).display_name}: "
                            f"type digits like {example(code, locale)}, with or without the thousands separators "
                            "(no letters or exponent)", amount=typed, locale=locale)
    if typed and all(ch in "0123456789" or ch in (group_typed, point) for ch in typed):
        try:
            parse_decimal(typed.replace(group_typed, group), locale, strict=True)
        except (NumberFormatError, ValueError, ArithmeticError):
            raise refusal from None
        plain_form = typed.replace(group_typed, "").replace(point, ".")
        try:
            return to_minor(plain_form, code)
        except TooManyDecimals:  # said about what was typed, not the plain form
            raise _decimals_error(typed, code, len(plain_form.partition(".")[2])) from None
        except AmountTooLarge:
            raise _too_large(typed, code) from None
    try:
        minor = to_minor(typed, code)  # spaces dropped; a sign or a zero get its refusal
    except InvalidAmount as err:
        if any(ch in typed for ch in ",.'’") or err.details.get("reason") == "format":
            raise refusal from None  # said in the form's own terms: grouping is fine here (QA #6)
        raise
    if point != ".":
        raise refusal  # "12.5 0" read with "." as the point, in a locale where "." groups: never
    return minor


# -- formatting -------------------------------------------------------------------------------------

def from_minor(minor: int, code: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(code))


def format_minor(minor: int, code: str, locale: str | None = None) -> str:
    """For people, with the currency's ISO 4217 decimals: ``$1,234.50``, ``¥1,235``, ``IQD1,000.250``."""
    loc = Locale.parse(locale_name(locale or _default_locale))
    return _pattern(loc, "currency", exponent(code)).apply(from_minor(minor, code), loc, currency=currency(code),
                                                           currency_digits=False)


def format_number(minor: int, code: str, locale: str | None = None) -> str:
    """Like ``format_minor`` without the currency sign: ``1,234.50`` (en_US), ``1.234,50`` (de_DE)."""
    loc = Locale.parse(locale_name(locale or _default_locale))
    return _pattern(loc, "decimal", exponent(code)).apply(from_minor(minor, code), loc)


@lru_cache(maxsize=256)
def _pattern(loc: Locale, kind: str, exp: int):  # noqa: ANN202 - babel.numbers.NumberPattern
    pattern = copy.copy(loc.currency_formats["standard"] if kind == "currency" else loc.decimal_formats[None])
    pattern.frac_prec = (exp, exp)  # exactly the currency's decimals: never CLDR's, never rounded
    return pattern


def plain(minor: int, code: str) -> str:
    """Machine formatting: ``-1234.50`` (for --json and files)."""
    return f"{from_minor(minor, code):f}"


def figure(minor: int, code: str, key: str = "amount") -> dict[str, str]:
    """A money figure for audit details, live events and ``--json``: the decimal in the currency's own
    exponent beside its code, ``{"amount": "150.00", "currency": "USD"}`` (``key`` names the figure: "fee",
    "overdraft"…). The one shape staff and tools read: never minor units (15000 for $150.00)."""
    return {key: plain(minor, code), "currency": code}
