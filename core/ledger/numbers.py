"""Account numbers: a kind prefix, the account id and a Luhn check digit (catches typing slips)."""
from __future__ import annotations

from functools import lru_cache

from stdnum import luhn

from core.ledger.errors import InvalidAccountNumber

PREFIX = {"deposit": "10"}
GL_PREFIX = "90"


def make(account_id: int, kind: str) -> str:
    base = f"{PREFIX.get(kind, GL_PREFIX)}{account_id:07d}"
    return base + luhn.calc_check_digit(base)


@lru_cache(maxsize=65536)
def validate(number: str) -> str:
    """The number without spaces, or InvalidAccountNumber (wrong shape or check digit)."""
    norm = (number or "").replace(" ", "").replace("-", "")
    if not norm.isdigit() or len(norm) < 10 or not luhn.is_valid(norm):
        raise InvalidAccountNumber(f"{number!r} is not a valid account number (check digit wrong or mistyped)",
                                   account=number)
    return norm
