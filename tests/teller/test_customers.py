"""Adding customers: every field checked, nothing written on a refusal, duplicates of an ID refused."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied
from core.persistence.models import Customer
from core.teller.customers import DuplicateCustomer, InvalidCustomer
from core.teller.identifiers import customer_id, customer_number
from tests.teller.conftest import ANALYST, TELLER, new_customer


def _count(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Customer)).scalar_one()


def test_add_customer_normalises_and_reads_back(teller, engine):
    rec = teller.add_customer(TELLER, new_customer(name="  Ada\u00a0 Lovelace ", phone="(202) 555-0143",
                                                   id_number="x 123-4567", date_of_birth="1985-12-10"))
    assert rec.name == "Ada Lovelace" and rec.phone == "+12025550143" and rec.id_number == "X1234567"
    assert rec.date_of_birth == date(1985, 12, 10) and rec.missing == ()
    assert customer_id(rec.number) == rec.id and rec.number == customer_number(rec.id) and len(rec.number) == 9
    overview = teller.customer(TELLER, rec.id)
    assert overview.customer == rec and overview.accounts == []


@pytest.mark.parametrize("field,kw,words", [
    ("name", {"name": ""}, "full name"),
    ("name", {"name": "R2D2"}, "does not look like a name"),
    ("date_of_birth", {"date_of_birth": "10/12/1985"}, "YYYY-MM-DD"),
    ("date_of_birth", {"date_of_birth": date.today() + timedelta(days=2)}, "in the future"),
    ("date_of_birth", {"date_of_birth": date(1850, 1, 1)}, "130 years"),
    ("phone", {"phone": "12"}, "not a valid phone number"),
    ("phone", {"phone": "+1 555 0100"}, "not a valid phone number"),
    ("address", {"address": " "}, "postal address"),
    ("id_type", {"id_type": "library card"}, "ID document type"),
    ("id_number", {"id_number": "??"}, "4-30 letters and digits"),
    ("country", {"country": "ZZ"}, "ISO 3166"),
])
def test_bad_fields_are_named_and_nothing_is_written(teller, engine, field, kw, words):
    with pytest.raises(InvalidCustomer, match=words) as err:
        teller.add_customer(TELLER, new_customer(**kw))
    assert err.value.field == field
    assert _count(engine) == 0


def test_the_same_id_document_cannot_open_a_second_customer(teller, engine):
    first = teller.add_customer(TELLER, new_customer())
    with pytest.raises(DuplicateCustomer, match=first.number):
        teller.add_customer(TELLER, new_customer(name="Someone Else", id_number="x1234567"))
    assert _count(engine) == 1


def test_an_analyst_may_not_add_customers(teller, engine):
    with pytest.raises(PermissionDenied):
        teller.add_customer(ANALYST, new_customer())
    assert _count(engine) == 0


def test_every_wrong_field_is_named_at_once():
    """QA #18: country, date of birth, phone and document wrong together: all four in one refusal."""
    from datetime import date

    from core.teller.customers import InvalidCustomerFields, NewCustomer, validate

    new = NewCustomer(name="Radia Perlman", date_of_birth="18-12-1951", phone="555", address="1 Spanning Tree Way",
                      id_type="passport", id_number="!", country="XX")
    with pytest.raises(InvalidCustomerFields) as caught:
        validate(new, date(2026, 11, 30))
    assert [e.field for e in caught.value.errors] == ["country", "date_of_birth", "id_number"]  # phone needs a country
    new = NewCustomer(name="Radia Perlman", date_of_birth="18-12-1951", phone="555", address="1 Spanning Tree Way",
                      id_type="passport", id_number="!", country="US")
    with pytest.raises(InvalidCustomerFields) as caught:
        validate(new, date(2026, 11, 30))
    assert [e.field for e in caught.value.errors] == ["date_of_birth", "phone", "id_number"]


@pytest.mark.parametrize("name", ["X", "X.", "xx", "A-", "Ö"])
def test_a_full_name_has_at_least_two_letters(name):
    """QA #19: "X" is not a customer's full name; short real names (mononyms, "Li", "Ng") are."""
    from core.teller.customers import InvalidCustomer, check_name

    with pytest.raises(InvalidCustomer, match="not a full name"):
        check_name(name)
    assert check_name("Li") == "Li" and check_name("Ng Wei") == "Ng Wei" and check_name("Suharto") == "Suharto"
