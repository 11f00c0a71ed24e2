"""Account numbers: a kind prefix, the account id and a Luhn check digit (catches typing slips)."""
from __future__ import annotations

from functools import lru_cache

from stdnum import luhn

from core.ledger.errors import InvalidAccountNumber
from core.text import InvalidText, compact

PREFIX = {"deposit": "10"}
GL_PREFIX = "90"


def make(account_id: int, kind: str) -> str:
    base = f"{PREFIX.get(kind, GL_PREFIX)}{account_id:07d}"
    return base + luhn.calc_check_digit(base)


def validate(number: str) -> str:
    """The number as stored: typed or pasted with any spaces, dashes or Unicode digits (``core.text.compact``).

    Raises InvalidAccountNumber (wrong shape or check digit).
    """
    if isinstance(number, str) and number:
        return _validate(number)
    raise InvalidAccountNumber(f"no account number given ({EXAMPLE_HINT})", account="")


EXAMPLE_HINT = ("10 digits, the last a check digit, as on the account; the Teller page's finder or "
                "qenex customer search finds them")


@lru_cache(maxsize=65536)
def _validate(number: str) -> str:
    try:
        norm = compact(number, "the account number").replace("-", "")
    except InvalidText:
        norm = ""
    if not norm.isascii() or not norm.isdigit() or not 10 <= len(norm) <= 20 or not luhn.is_valid(norm):
        shown = repr(number if len(number) <= 30 else number[:30] + "…")
        raise InvalidAccountNumber(f"{shown} is not a valid account number ({EXAMPLE_HINT}); check for a "
                                   "mistyped digit", account=shown)
    return norm
