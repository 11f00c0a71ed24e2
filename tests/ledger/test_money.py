from decimal import Decimal

import pytest

from core.ledger import money, numbers
from core.ledger.errors import InvalidAccountNumber, InvalidAmount, TooManyDecimals, UnknownCurrency


@pytest.mark.parametrize("amount,cur,minor", [("12.34", "USD", 1234), ("5", "JPY", 5), ("1.234", "BHD", 1234),
                                               (Decimal("0.01"), "eur", 1), ("1000000", "USD", 100000000)])
def test_to_minor_uses_the_currency_exponent(amount, cur, minor):
    assert money.to_minor(amount, cur) == minor


@pytest.mark.parametrize("amount,cur,error", [
    ("12.345", "USD", TooManyDecimals), ("1.5", "JPY", TooManyDecimals), ("1.2345", "BHD", TooManyDecimals),
    ("0", "USD", InvalidAmount), ("-1", "USD", InvalidAmount), ("abc", "USD", InvalidAmount),
    ("NaN", "USD", InvalidAmount), ("Infinity", "USD", InvalidAmount), (1.5, "USD", InvalidAmount),
    ("1", "ABC", UnknownCurrency), ("1", "XXX", UnknownCurrency), ("1", "", UnknownCurrency),
])
def test_bad_amounts_are_refused_with_specific_errors(amount, cur, error):
    with pytest.raises(error):
        money.to_minor(amount, cur)


def test_formatting_round_trips():
    assert money.plain(-123456, "USD") == "-1234.56"
    assert money.plain(5, "JPY") == "5"
    assert money.format_minor(123456, "USD") == "$1,234.56"


def test_account_numbers_carry_a_check_digit():
    number = numbers.make(42, "deposit")
    assert numbers.validate(number) == number
    slipped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    with pytest.raises(InvalidAccountNumber):
        numbers.validate(slipped)
    with pytest.raises(InvalidAccountNumber):
        numbers.validate("12ab")
