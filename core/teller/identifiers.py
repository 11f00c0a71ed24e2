"""Customer numbers and account IBANs, both derived from database ids (nothing extra is stored).

- Customer number: ``7`` + the id in seven digits + a Luhn check digit (``700000125``), nine digits so it
  never looks like a ten-digit account number; a mistyped digit is caught by the check digit.
- IBAN of a deposit account: ISO 13616 with the bank's country and bank code and the ten-digit account
  number as the account part (German BBAN layout: 8-digit bank code + 10-digit account), built and
  checked with ``schwifty``. ``QENEX_BANK_CODE`` sets the bank code (default ``10099999``, a made-up one
  for the demo bank).
"""
from __future__ import annotations

import os
import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn

from core.errors import ValidationError

CUSTOMER_PREFIX = "7"
IBAN_COUNTRY = "DE"
BANK_CODE = os.environ.get("QENEX_BANK_CODE", "10099999")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]*$")


class InvalidCustomerNumber(ValidationError):
    code = "invalid_customer_number"


class InvalidIban(ValidationError):
    code = "invalid_iban"


def customer_number(customer_id: int) -> str:
    base = f"{CUSTOMER_PREFIX}{customer_id:07d}"
    return base + luhn.calc_check_digit(base)


def customer_id(number: str) -> int:
    """The customer id in a customer number (spaces allowed), or InvalidCustomerNumber."""
    norm = re.sub(r"[\s-]", "", number or "")
    if not norm.isdigit() or not norm.startswith(CUSTOMER_PREFIX) or len(norm) < 9 or not luhn.is_valid(norm):
        raise InvalidCustomerNumber(f"{number!r} is not a customer number (nine digits starting with 7; "
                                    "check digit wrong or mistyped)", number=number)
    return int(norm[1:-1])


def account_iban(number: str, kind: str = "deposit") -> str | None:
    """The IBAN of a customer account (compact form), None for the bank's own GL accounts."""
    if kind != "deposit":
        return None
    return str(IBAN.generate(IBAN_COUNTRY, bank_code=BANK_CODE, account_code=number))


def format_iban(iban: str | None) -> str:
    """Groups of four for people: ``DE12 1009 9999 1000 0000 18``."""
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if iban else ""


def looks_like_iban(text: str) -> bool:
    compact = re.sub(r"\s", "", text or "").upper()
    return len(compact) >= 5 and bool(_IBAN_SHAPE.match(compact))


def account_from_iban(text: str) -> str:
    """The account number inside one of this bank's IBANs, or InvalidIban saying why."""
    compact = re.sub(r"\s", "", text or "").upper()
    try:
        iban = IBAN(compact)
    except SchwiftyException as err:
        raise InvalidIban(f"{text!r} is not a valid IBAN ({err}); check the digits", iban=text) from None
    if iban.country_code != IBAN_COUNTRY or iban.bank_code != BANK_CODE:
        raise InvalidIban(f"IBAN {format_iban(compact)} belongs to another bank (bank code {iban.bank_code})",
                          iban=text)
    return iban.account_code
