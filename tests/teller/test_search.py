"""Search as the teller types: names with typos, numbers with a slip, phones, IBANs, customer numbers."""
from __future__ import annotations

import pytest

from core.security.roles import SYSTEM_ACTOR
from core.teller.identifiers import account_iban, format_iban
from tests.teller.conftest import TELLER, new_customer

NAMES = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Adam Lovell", "Barbara Liskov", "Zoë Müller"]


@pytest.fixture
def people(teller):
    out = {}
    for i, name in enumerate(NAMES):
        rec = teller.add_customer(TELLER, new_customer(name=name, id_number=f"P{i:07d}", phone=f"+1 202 555 01{i:02d}"))
        out[name] = (rec, teller.open_account(TELLER, rec.id, "USD").number)
    return out


def _names(hits):  # noqa: ANN001, ANN202
    return [h.name for h in hits]


@pytest.mark.parametrize("query,first", [
    ("Ada Lovelace", "Ada Lovelace"), ("lovelace", "Ada Lovelace"), ("Lovelce", "Ada Lovelace"),
    ("ada lov", "Ada Lovelace"), ("hoper", "Grace Hopper"), ("TURING", "Alan Turing"), ("liskow", "Barbara Liskov"),
    ("muller", "Zoë Müller"),
])
def test_names_are_found_with_typos_and_ranked(teller, people, query, first):
    hits = teller.search(TELLER, query)
    assert hits and hits[0].name == first and hits[0].matched == "name"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_account_number_exact_partial_and_one_digit_off(teller, people):
    rec, number = people["Grace Hopper"]
    assert (teller.search(TELLER, number)[0].name, teller.search(TELLER, number)[0].account) == ("Grace Hopper", number)
    slip = number[:-3] + str((int(number[-3]) + 1) % 10) + number[-2:]
    hits = teller.search(TELLER, slip)
    assert number in [h.account for h in hits] and "one digit differs" in hits[0].matched
    swapped = number[:4] + number[5] + number[4] + number[6:]
    if swapped != number:
        assert number in [h.account for h in teller.search(TELLER, swapped)]
    assert number in [h.account for h in teller.search(TELLER, number[:9])]


def test_iban_customer_number_and_phone(teller, people):
    rec, number = people["Alan Turing"]
    iban = format_iban(account_iban(number))
    assert teller.search(TELLER, iban.lower())[0].account == number
    assert teller.search(TELLER, rec.number)[0].customer_id == rec.id
    assert teller.search(TELLER, "202 555 0101")[0].name == "Alan Turing"
    assert teller.search(TELLER, "555-0101")[0].name == "Alan Turing"


def test_gl_accounts_are_found_by_number_without_a_customer(teller, people):
    cash = teller.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["teller_cash"].number
    hit = teller.search(TELLER, cash)[0]
    assert hit.customer_id is None and hit.account == cash and "Teller cash" in hit.name


@pytest.mark.parametrize("query", ["", " ", "a", "%", "'; drop table customers; --", '"', "zzzzqqqq", "DE00 0000"])
def test_odd_queries_find_nothing_and_never_fail(teller, people, query):
    assert all(h.name for h in teller.search(TELLER, query))


def test_a_swapped_account_number_ranks_the_meant_account_first_and_opens_nothing(teller, people):
    """QA #3: '1000004967' meant 1000004976: the swap comes first (not the alphabet), every near match says
    how it differs, and no near match is opened by itself; the exact number is first and the only one."""
    from stdnum import luhn

    from core.teller.search import auto_open

    rec, _ = people["Zoë Müller"]
    numbers = [teller.open_account(TELLER, rec.id, "USD").number for _ in range(60)]
    meant = next(n for n in numbers if n[-1] != n[-2] and not luhn.is_valid(n[:-2] + n[-1] + n[-2])
                 and len([v for v in _near(n[:-2] + n[-1] + n[-2]) if v in numbers]) > 1)
    typed = meant[:-2] + meant[-1] + meant[-2]
    hits = teller.search(TELLER, typed)
    assert len(hits) > 1 and hits[0].account == meant and hits[0].matched == "account number (two digits swapped)"
    assert all(not h.exact and "differs" in h.matched for h in hits[1:] if h.account)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert auto_open(hits) is None
    exact = teller.search(TELLER, meant)
    assert exact[0].account == meant and exact[0].exact and auto_open(exact) is exact[0]


def _near(digits):  # noqa: ANN001, ANN202
    from core.teller.search import _variants

    return [v for v, _what, _close in _variants(digits)]


def test_exact_names_and_numbers_are_marked_and_come_first(teller, people):
    from core.teller.search import auto_open

    rec, number = people["Ada Lovelace"]
    assert auto_open(teller.search(TELLER, "ada lovelace")).name == "Ada Lovelace"
    assert auto_open(teller.search(TELLER, "lovelace")) is None  # a near match is never opened by itself
    assert auto_open(teller.search(TELLER, "Lovelce")) is None
    assert auto_open(teller.search(TELLER, rec.number)).customer_id == rec.id
    assert auto_open(teller.search(TELLER, "+1 202 555 0100")).name == "Ada Lovelace"
    assert auto_open(teller.search(TELLER, number[:8])) is None  # a prefix
