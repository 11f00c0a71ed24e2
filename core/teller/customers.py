"""Customers at the desk: adding one with its know-your-customer details, and reading one back.

Every field is checked here (the console and the command line show these messages as they are):
a name with letters, a date of birth in the past (at most 130 years), a phone number that is valid for
its country (``phonenumbers``, stored in E.164), a postal address, and an identity document of a known
type whose number is unique per type (the same passport cannot open a second customer record).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import phonenumbers
import pycountry
from sqlalchemy import Connection, insert, select

from core.errors import QenexError, Refusals, ValidationError
from core.ledger.errors import CustomerNotFound
from core.persistence.models import Customer
from core.teller.identifiers import customer_number

C = Customer.__table__

ID_TYPES = {"passport": "Passport", "national_id": "National ID card", "driving_licence": "Driving licence",
            "residence_permit": "Residence permit"}
MAX_AGE_YEARS = 130
MIN_NAME_LETTERS = 2  # a full name has at least two letters (QA #19); mononyms are allowed


class InvalidCustomer(ValidationError):
    """One field of a new customer is wrong; ``field`` names it (name, date_of_birth, phone, ...)."""

    code = "invalid_customer"

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(message, field=field_)
        self.field = field_


class DuplicateCustomer(QenexError):
    code = "duplicate_customer"


@dataclass(frozen=True)
class NewCustomer:
    """What a teller types. ``date_of_birth`` as a date or ``YYYY-MM-DD``; ``country`` ISO 3166 alpha-2
    (also the default region for a phone number typed without ``+``)."""

    name: str
    date_of_birth: date | str | None
    phone: str
    address: str
    id_type: str
    id_number: str
    country: str = "US"


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    number: str
    name: str
    country: str
    created_at: datetime
    date_of_birth: date | None = None
    phone: str | None = None
    address: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    missing: tuple[str, ...] = field(default=())  # KYC fields not recorded (system-made records only)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "name": self.name, "country": self.country,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "phone": self.phone, "address": self.address, "id_type": self.id_type, "id_number": self.id_number,
                "created_at": self.created_at.isoformat(), "kyc_missing": list(self.missing)}

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


def clean_text(value: object) -> str:
    """NFKC, every run of whitespace (any Unicode space, tabs, newlines) as one space, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value or ""))).strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def check_country(country: str) -> str:
    code = clean_text(country).upper()
    if len(code) != 2 or not code.isalpha() or pycountry.countries.get(alpha_2=code) is None:
        raise InvalidCustomer("country", f"{country!r} is not a country: use the ISO 3166 two-letter code, e.g. US, DE")
    return code


def check_name(name: str) -> str:
    value = clean_text(name)
    if not value:
        raise InvalidCustomer("name", "enter the customer's full name")
    if len(value) > 200 or _has_control(value):
        raise InvalidCustomer("name", "a name has at most 200 characters and no control characters")
    if not any(ch.isalpha() for ch in value) or any(ch.isdigit() for ch in value):
        raise InvalidCustomer("name", f"{value!r} does not look like a name: use letters, no digits")
    letters = [ch for ch in value if ch.isalpha()]
    if len(letters) < MIN_NAME_LETTERS or len(set(ch.casefold() for ch in letters)) < 2:  # "X", "X.", "xx"
        raise InvalidCustomer("name", f"{value!r} is not a full name: type the name as on the ID document "
                                      f"(at least {MIN_NAME_LETTERS} letters, e.g. Ada Lovelace)")
    return value


def check_birth_date(value: date | str | None, today: date) -> date:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidCustomer("date_of_birth", "enter the date of birth (YYYY-MM-DD)")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(clean_text(value))
        except ValueError:
            raise InvalidCustomer("date_of_birth", f"{value!r} is not a date; use YYYY-MM-DD, e.g. 1985-04-23") from None
    if value > today:
        raise InvalidCustomer("date_of_birth", "the date of birth is in the future; check the year")
    if (today.year - value.year) > MAX_AGE_YEARS:
        raise InvalidCustomer("date_of_birth", f"a date of birth more than {MAX_AGE_YEARS} years ago; check the year")
    return value


def check_phone(phone: str, country: str) -> str:
    """The phone number in E.164 (``+12025550143``), or InvalidCustomer naming what to type."""
    raw = clean_text(phone)
    if not raw:
        raise InvalidCustomer("phone", "enter a phone number")
    try:
        parsed = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        example = phonenumbers.example_number(country)
        hint = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL) if example else "+1 202 555 0143"
        raise InvalidCustomer("phone", f"{raw!r} is not a valid phone number for {country}; type it with its area "
                                       f"code, or with + and the country code (e.g. {hint})")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def check_address(address: str) -> str:
    value = clean_text(address)
    if len(value) < 5:
        raise InvalidCustomer("address", "enter the postal address (street, number, town)")
    if len(value) > 300 or _has_control(value):
        raise InvalidCustomer("address", "an address has at most 300 characters")
    return value


def check_id_document(id_type: str, id_number: str) -> tuple[str, str]:
    kind = clean_text(id_type).lower().replace(" ", "_")
    if kind not in ID_TYPES:
        raise InvalidCustomer("id_type", f"choose the ID document type: {', '.join(ID_TYPES)}")
    number = re.sub(r"[\s\-/.]", "", unicodedata.normalize("NFKC", str(id_number or ""))).upper()
    if not number:
        raise InvalidCustomer("id_number", "enter the ID document's number")
    if not 4 <= len(number) <= 30 or not number.isascii() or not number.isalnum():
        raise InvalidCustomer("id_number", f"{id_number!r} is not a document number: 4-30 letters and digits")
    return kind, number


class InvalidCustomerFields(Refusals, ValidationError):
    """Several fields of a new customer are wrong: ``errors`` holds one InvalidCustomer per field (QA #18)."""

    code = "invalid_customer"


def validate(new: NewCustomer, today: date) -> dict[str, Any]:
    """Every field checked and normalised, as column values. One wrong field raises its InvalidCustomer;
    several raise InvalidCustomerFields with each of them, so a form shows every error at once."""
    errors: list[InvalidCustomer] = []

    def attempt(check, *args):  # noqa: ANN001, ANN002, ANN202
        try:
            return check(*args)
        except InvalidCustomer as err:
            errors.append(err)
            return None

    name = attempt(check_name, new.name)
    country = attempt(check_country, new.country)
    birth = attempt(check_birth_date, new.date_of_birth, today)
    phone = attempt(check_phone, new.phone, country) if country else None  # its format depends on the country
    address = attempt(check_address, new.address)
    document = attempt(check_id_document, new.id_type, new.id_number)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidCustomerFields(errors)
    assert document is not None
    return {"name": name, "country": country, "date_of_birth": birth, "phone": phone, "address": address,
            "id_type": document[0], "id_number": document[1]}


def insert_customer(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    """Insert a validated customer; DuplicateCustomer if its ID document is already on file."""
    if values.get("id_number"):
        other = conn.execute(select(C.c.id).where(C.c.id_type == values["id_type"],
                                                  C.c.id_number == values["id_number"])).first()
        if other is not None:
            raise DuplicateCustomer(f"{ID_TYPES[values['id_type']]} {values['id_number']} already belongs to "
                                    f"customer {customer_number(other.id)}; open the account there",
                                    customer=customer_number(other.id))
    return conn.execute(insert(C).values(**values, created_at=now).returning(C.c.id)).scalar_one()


_KYC = ("date_of_birth", "phone", "address", "id_number")


def record(row: Any) -> CustomerRecord:
    m = row._mapping
    return CustomerRecord(
        id=m["id"], number=customer_number(m["id"]), name=m["name"], country=m["country"],
        created_at=m["created_at"], date_of_birth=m["date_of_birth"], phone=m["phone"], address=m["address"],
        id_type=m["id_type"], id_number=m["id_number"], missing=tuple(k for k in _KYC if not m[k]))


def load(conn: Connection, customer_id: int) -> CustomerRecord:
    row = conn.execute(select(C).where(C.c.id == customer_id)).first()
    if row is None:
        raise CustomerNotFound(f"no customer {customer_number(customer_id)}", customer=customer_id)
    return record(row)
