"""Card numbers as typed at the desk: check digit, brand, expiry, CVV shape, and what a screen may show.

Pure functions, no I/O. The Luhn check is python-stdnum's; brand ranges are the card schemes'
published issuer identification number (IIN) ranges (ISO/IEC 7812). A full number never appears in an
error message: errors name the masked number at most.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum import luhn

from core.errors import ValidationError
from core.text import compact

from core.payments.errors import CardExpired, InvalidCard, InvalidCvc, InvalidExpiry

# (brand, IIN prefix ranges as (low, high) over the first digits, allowed lengths, CVV length)
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[int, ...], int], ...] = (
    ("amex", (("34", "34"), ("37", "37")), (15,), 4),
    ("diners", (("300", "305"), ("36", "36"), ("38", "39")), (14, 16), 3),
    ("jcb", (("3528", "3589"),), (16, 17, 18, 19), 3),
    ("visa", (("4", "4"),), (13, 16, 19), 3),
    ("mastercard", (("51", "55"), ("2221", "2720")), (16,), 3),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), (16, 19), 3),
    ("unionpay", (("62", "62"),), (16, 17, 18, 19), 3),
    ("maestro", (("50", "50"), ("56", "58"), ("6", "6")), (12, 13, 14, 15, 16, 17, 18, 19), 3),
)
BRAND_NAMES = {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "visa": "Visa",
               "mastercard": "Mastercard", "discover": "Discover", "unionpay": "UnionPay", "maestro": "Maestro"}


@dataclass(frozen=True)
class CardInput:
    """A card as entered, held in memory only for the call that tokenises or charges it.

    ``repr`` shows the masked number and never the CVV, so a stray log line or traceback leaks nothing.
    """

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:
        return f"CardInput({mask(self.number)}, {self.exp_month:02d}/{self.exp_year}, cvc=***)"

    __str__ = __repr__


def digits_only(number: str) -> str:
    """The number without the spaces and dashes people type between groups (through core.text.compact,
    so full-width or other scripts' digits and pasted no-break spaces count)."""
    try:
        return compact(number or "", "the card number").replace("-", "")
    except ValidationError:
        raise InvalidCard("the card number has characters no keyboard types; type it again") from None


def brand(number: str) -> str | None:
    """The card brand for a digits-only number ("visa", "mastercard", ...), or None if no range matches."""
    for name, ranges, lengths, _cvc in _BRANDS:
        if len(number) not in lengths:
            continue
        for low, high in ranges:
            head = number[: len(low)]
            if low <= head <= high:
                return name
    return None


def mask(number: str) -> str:
    """First six and last four digits, the rest as "…": what screens, logs and the audit trail show."""
    n = digits_only(number)
    if len(n) < 12:
        return "…" + n[-2:] if n else ""
    return f"{n[:6]}…{n[-4:]}"


def validate_number(number: str) -> tuple[str, str]:
    """(digits-only number, brand), or InvalidCard saying what is wrong (never echoing the number)."""
    n = digits_only(number)
    if not n:
        raise InvalidCard("enter the card number")
    if not n.isdigit():
        raise InvalidCard("a card number has only digits (spaces between groups are fine)")
    if not 12 <= len(n) <= 19:
        raise InvalidCard(f"a card number has 12 to 19 digits; this one has {len(n)}")
    if not luhn.is_valid(n):
        raise InvalidCard(f"card number {mask(n)} is not valid (check digit wrong: mistyped?)")
    name = brand(n)
    if name is None:
        raise InvalidCard(f"card number {mask(n)} belongs to no card scheme this bank accepts")
    return n, name


def validate_expiry(month: int | str, year: int | str, today: date | None = None) -> tuple[int, int]:
    """(month, four-digit year); a card is valid through the last day of its expiry month."""
    try:
        m, y = int(month), int(year)
    except (TypeError, ValueError):
        raise InvalidExpiry(f"the expiry must be a month and year as on the card (MM/YY), got {month!r}/{year!r}"
                            ) from None
    if y < 100:
        y += 2000
    if not 1 <= m <= 12:
        raise InvalidExpiry(f"the expiry month must be 01 to 12, got {m}: type the month and year as on the card "
                            "(MM/YY)")
    today = today or date.today()
    if (y, m) < (today.year, today.month):
        raise CardExpired(f"the card expired at the end of {m:02d}/{y}; ask for another card")
    if y > today.year + 20:
        raise InvalidExpiry(f"expiry year {y} is too far ahead: type the month and year as on the card (MM/YY)")
    return m, y


def validate_cvc(cvc: str, brand_name: str) -> str:
    """The CVV/CVC as digits: 4 for American Express, 3 for the others."""
    value = (cvc or "").strip()
    expected = next(c for name, _r, _l, c in _BRANDS if name == brand_name)
    if not value.isdigit() or len(value) != expected:
        raise InvalidCvc(f"the security code of a {BRAND_NAMES[brand_name]} card has {expected} digits")
    return value


def parse_card(number: str, exp_month: int | str, exp_year: int | str, cvc: str,
               today: date | None = None) -> tuple[CardInput, str]:
    """Check everything about a typed card: (CardInput, brand) or the first refusal."""
    n, name = validate_number(number)
    m, y = validate_expiry(exp_month, exp_year, today)
    return CardInput(n, m, y, validate_cvc(cvc, name)), name


def parse_expiry(text: str) -> tuple[int, int]:
    """"MM/YY" or "MM/YYYY" as typed -> (month, year); InvalidExpiry if it is not that shape."""
    if not (text or "").strip():
        raise InvalidExpiry("enter the expiry date as on the card (MM/YY)")
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", text or "")
    if not match:
        raise InvalidExpiry(f"the expiry must look like MM/YY (as on the card), got {text!r}")
    return int(match.group(1)), int(match.group(2))
