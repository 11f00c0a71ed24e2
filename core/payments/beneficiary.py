"""Who an outgoing transfer pays, per rail, checked before anything posts.

- SEPA credit transfer: EUR; IBAN (checksum, country format and bank code by ``schwifty``); BIC by
  ``schwifty`` (or derived from the IBAN's bank code when schwifty's registry knows it).
- ACH: USD; ABA routing number (nine digits with the ABA weighted checksum 3-7-1, ``stdnum.us.rtn``)
  and the receiver's account number (4-17 digits and letters, NACHA's DFI account number field).
- Wire: any currency; the beneficiary bank's BIC and the account (an IBAN where the country uses them).
What is typed goes through the one normaliser (``core.text``: NFKC, any script's digits, pasted spaces).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.us import rtn

from core.ledger import money
from core.payments.errors import InvalidBeneficiary
from core.text import clean, compact

RAIL_NAMES = {"sepa": "SEPA credit transfer", "ach": "ACH", "wire": "wire"}
RAIL_CURRENCY = {"sepa": "EUR", "ach": "USD"}


@dataclass(frozen=True)
class Beneficiary:
    rail: str
    name: str
    iban: str | None = None
    bic: str | None = None
    routing: str | None = None
    account_number: str | None = None
    reference: str = ""

    @property
    def country(self) -> str | None:
        if self.iban:
            return self.iban[:2]
        if self.bic:
            return self.bic[4:6]
        return "US" if self.rail == "ach" else None

    @property
    def counterparty(self) -> str:
        """How the fraud screen and the ledger name the receiving account (at most 64 characters)."""
        if self.iban:
            return self.iban
        if self.routing:
            return f"{self.routing}:{self.account_number}"[:64]
        return f"{self.bic}:{self.account_number}"[:64]

    @property
    def display(self) -> str:
        if self.rail == "sepa":
            return f"{self.name}, IBAN {_group(self.iban or '')} (BIC {self.bic})"
        if self.rail == "ach":
            return f"{self.name}, routing {self.routing}, account {self.account_number}"
        return f"{self.name}, account {self.account_number} at {self.bic}"


def normalise(text: str | None) -> str:
    """Free text as typed (core.text.clean: NFKC, one space between words)."""
    return clean(text or "")


def _group(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def check_iban(text: str) -> IBAN:
    try:
        return IBAN(compact(text or "", "the IBAN").upper())
    except SchwiftyException as err:
        raise InvalidBeneficiary(f"IBAN {normalise(text)!r} is not valid ({err}); check it with the customer",
                                 field="iban") from None


def check_bic(text: str) -> BIC:
    try:
        return BIC(compact(text or "", "the BIC").upper())
    except SchwiftyException as err:
        raise InvalidBeneficiary(f"BIC {normalise(text)!r} is not valid ({err}); a BIC has 8 or 11 characters, "
                                 "e.g. COBADEFFXXX", field="bic") from None


def check_routing(text: str) -> str:
    value = compact(text or "", "the routing number").replace("-", "")
    if not value.isdigit() or len(value) != 9:
        raise InvalidBeneficiary(f"an ABA routing number has 9 digits, got {text!r}", field="routing")
    if not rtn.is_valid(value):
        raise InvalidBeneficiary(f"routing number {value} fails the ABA checksum: mistyped?", field="routing")
    return value


def check(rail: str, currency: str, *, name: str, iban: str | None = None, bic: str | None = None,
          routing: str | None = None, account_number: str | None = None, reference: str | None = None) -> Beneficiary:
    """A checked Beneficiary for ``rail`` in ``currency``, or InvalidBeneficiary naming the field."""
    if rail not in RAIL_NAMES:
        raise InvalidBeneficiary(f"rail must be sepa, ach or wire, got {rail!r}", field="rail")
    code = money.currency(currency)
    wanted = RAIL_CURRENCY.get(rail)
    if wanted and code != wanted:
        raise InvalidBeneficiary(f"a {RAIL_NAMES[rail]} is paid in {wanted}, not {code}", field="currency")
    name = normalise(name)
    if not name:
        raise InvalidBeneficiary("enter the beneficiary's name", field="name")
    if len(name) > 70:
        raise InvalidBeneficiary("the beneficiary's name has at most 70 characters (SEPA's limit)", field="name")
    reference = normalise(reference)
    if len(reference) > 140:
        raise InvalidBeneficiary("the reference has at most 140 characters", field="reference")
    if rail == "sepa":
        if not iban:
            raise InvalidBeneficiary("a SEPA transfer needs the beneficiary's IBAN", field="iban")
        parsed = check_iban(iban)
        if bic:
            bic_code = str(check_bic(bic))
        elif parsed.bic is not None:
            bic_code = str(parsed.bic)
        else:
            raise InvalidBeneficiary(f"the BIC of IBAN {parsed.formatted} is not known here; enter it", field="bic")
        return Beneficiary(rail, name, iban=parsed.compact, bic=bic_code, reference=reference)
    account = compact(account_number or "", "the account number").replace("-", "").upper()
    if rail == "ach":
        if not routing:
            raise InvalidBeneficiary("an ACH transfer needs the receiving bank's routing number", field="routing")
        checked_routing = check_routing(routing)
        if not re.fullmatch(r"[0-9A-Z]{4,17}", account):
            raise InvalidBeneficiary("the receiver's account number has 4 to 17 digits or letters", field="account")
        return Beneficiary(rail, name, routing=checked_routing, account_number=account, reference=reference)
    if not bic:
        raise InvalidBeneficiary("a wire needs the beneficiary bank's BIC", field="bic")
    bic_code = str(check_bic(bic))
    if iban and not account:
        account = check_iban(iban).compact
    if not re.fullmatch(r"[0-9A-Z]{4,34}", account):
        raise InvalidBeneficiary("enter the beneficiary's account number or IBAN (4 to 34 digits or letters)",
                                 field="account")
    return Beneficiary(rail, name, bic=bic_code, account_number=account, reference=reference)
