"""Who an outgoing transfer pays, per rail, checked before anything posts.

- SEPA credit transfer: EUR; IBAN (checksum, country format and bank code by ``schwifty``); BIC by
  ``schwifty`` (or derived from the IBAN's bank code when schwifty's registry knows it).
- ACH: USD; ABA routing number (nine digits with the ABA weighted checksum 3-7-1, ``stdnum.us.rtn``)
  and the receiver's account number (4-17 digits and letters, NACHA's DFI account number field).
- Wire: any currency; the beneficiary bank's BIC and the account (an IBAN where the country uses them).
- An IBAN and a BIC of different countries are refused (a mistyped BIC sends the money to another bank);
  the territories that use their parent's BICs (French overseas departments and Monaco: FR; Jersey,
  Guernsey, Isle of Man: GB) are accepted.
- ACH files carry names in upper-case ASCII, 22 characters (NACHA's Individual Name field):
  ``ach_name`` transliterates (``text_unidecode``, as sepaxml does: "Jürgen Müller" -> "JURGEN MULLER",
  "Дмитрий" -> "DMITRII") and cuts; ``Beneficiary.file_name_note`` says so when the file name differs.
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
ACH_NAME_LENGTH = 22
# IBAN countries whose banks use another country's BICs (SWIFT's country of the BIC).
_BIC_COUNTRY = {**{c: "FR" for c in ("GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "MC")},
                **{c: "GB" for c in ("JE", "GG", "IM")}}


def ach_name(name: str, length: int = ACH_NAME_LENGTH) -> str:
    """``name`` as an ACH file carries it: ASCII by transliteration, upper case, NACHA's characters, cut."""
    from text_unidecode import unidecode

    ascii_text = unidecode(normalise(name)).upper()
    kept = re.sub(r"[^A-Z0-9 &',./-]", "", ascii_text)
    return " ".join(kept.split())[:length].rstrip()


def check_countries(iban_country: str, bic: str) -> None:
    """Refuse an IBAN and a BIC of different countries (InvalidBeneficiary on the BIC)."""
    bic_country = bic[4:6]
    if _BIC_COUNTRY.get(iban_country, iban_country) != bic_country:
        raise InvalidBeneficiary(f"the BIC {bic} is a bank in {bic_country} but the IBAN is from {iban_country}; "
                                 "check the BIC with the customer (or leave it empty to take it from the IBAN)",
                                 field="bic")


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
    def file_name(self) -> str:
        """The name as the rail's file will carry it (ACH: ``ach_name``; SEPA and wire: as typed)."""
        return ach_name(self.name) if self.rail == "ach" else self.name

    @property
    def file_name_note(self) -> str:
        """Words for the confirmation when the file carries the name differently, else ""."""
        if self.file_name == self.name:
            return ""
        return (f"the ACH file carries the name as \"{self.file_name}\" (ASCII capitals, at most "
                f"{ACH_NAME_LENGTH} characters)")

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
    """A checked Beneficiary for ``rail`` in ``currency``, or InvalidBeneficiary naming the (first) field."""
    ben, errors = check_each(rail, currency, name=name, iban=iban, bic=bic, routing=routing,
                             account_number=account_number, reference=reference)
    if errors:
        raise errors[0]
    assert ben is not None
    return ben


def check_each(rail: str, currency: str, *, name: str, iban: str | None = None, bic: str | None = None,
               routing: str | None = None, account_number: str | None = None,
               reference: str | None = None) -> tuple[Beneficiary | None, list[InvalidBeneficiary]]:
    """Every field checked on its own: (the Beneficiary, []) or (None, one InvalidBeneficiary per field that is
    wrong, each naming its field), so a form shows every error at once (QA #6)."""
    if rail not in RAIL_NAMES:
        return None, [InvalidBeneficiary(f"rail must be sepa, ach or wire, got {rail!r}", field="rail")]
    errors: list[InvalidBeneficiary] = []

    def attempt(check_one):  # noqa: ANN001, ANN202
        try:
            return check_one()
        except InvalidBeneficiary as err:
            errors.append(err)
            return None

    code = money.currency(currency)
    wanted = RAIL_CURRENCY.get(rail)
    if wanted and code != wanted:
        errors.append(InvalidBeneficiary(f"a {RAIL_NAMES[rail]} is paid in {wanted}, not {code}", field="currency"))
    name = normalise(name)
    if not name:
        errors.append(InvalidBeneficiary("enter the beneficiary's name", field="name"))
    elif len(name) > 70:
        errors.append(InvalidBeneficiary("the beneficiary's name has at most 70 characters (SEPA's limit)",
                                         field="name"))
    reference = normalise(reference)
    if len(reference) > 140:
        errors.append(InvalidBeneficiary("the reference has at most 140 characters", field="reference"))
    if rail == "sepa":
        parsed = attempt(lambda: check_iban(iban)) if iban else errors.append(
            InvalidBeneficiary("a SEPA transfer needs the beneficiary's IBAN", field="iban"))
        bic_code = None
        if bic:
            bic_code = attempt(lambda: str(check_bic(bic)))
            if bic_code and parsed is not None:
                attempt(lambda: check_countries(parsed.country_code, bic_code))
        elif parsed is not None and parsed.bic is not None:
            bic_code = str(parsed.bic)
        elif parsed is not None:
            errors.append(InvalidBeneficiary(f"the BIC of IBAN {parsed.formatted} is not known here; enter it",
                                             field="bic"))
        if errors:
            return None, errors
        return Beneficiary(rail, name, iban=parsed.compact, bic=bic_code, reference=reference), []
    account = compact(account_number or "", "the account number").replace("-", "").upper()
    if rail == "ach":
        checked_routing = attempt(lambda: check_routing(routing)) if routing else errors.append(
            InvalidBeneficiary("an ACH transfer needs the receiving bank's routing number", field="routing"))
        if not re.fullmatch(r"[0-9A-Z]{4,17}", account):
            errors.append(InvalidBeneficiary("the receiver's account number has 4 to 17 digits or letters",
                                             field="account"))
        if name and len(name) <= 70 and not ach_name(name):
            errors.append(InvalidBeneficiary("the ACH file needs the name in Latin letters; type it as the "
                                             "receiver's bank knows it", field="name"))
        if errors:
            return None, errors
        return Beneficiary(rail, name, routing=checked_routing, account_number=account, reference=reference), []
    bic_code = attempt(lambda: str(check_bic(bic))) if bic else errors.append(
        InvalidBeneficiary("a wire needs the beneficiary bank's BIC", field="bic"))
    if iban and not account:
        parsed_iban = attempt(lambda: check_iban(iban))
        account = parsed_iban.compact if parsed_iban is not None else ""
    if bic_code and len(account) > 14 and account[:2].isalpha() and account[2:4].isdigit():  # an IBAN there
        try:
            attempt(lambda: check_countries(IBAN(account).country_code, bic_code))
        except SchwiftyException:
            pass
    if not re.fullmatch(r"[0-9A-Z]{4,34}", account):
        errors.append(InvalidBeneficiary("enter the beneficiary's account number or IBAN (4 to 34 digits or letters)",
                                         field="account"))
    if errors:
        return None, errors
    return Beneficiary(rail, name, bic=bic_code, account_number=account, reference=reference), []
