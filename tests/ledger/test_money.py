"""The money contract: ISO 4217 exponents, one strict amount parser (plain and locale forms), formatting."""
from decimal import Decimal, localcontext

import iso4217
import pytest
from babel.numbers import get_decimal_symbol
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import QenexError
from core.ledger import money, numbers
from core.ledger.errors import AmountTooLarge, InvalidAccountNumber, InvalidAmount, TooManyDecimals, UnknownCurrency

# -- exponents (issue 8 §1) ---------------------------------------------------------------------------


def test_every_active_iso_code_has_the_iso_4217_exponent():
    table = {c.code: c.exponent for c in iso4217.Currency}
    active = money.active_currencies()
    assert active == {code: exp for code, exp in table.items() if exp is not None}
    for code, exp in active.items():
        assert money.exponent(code) == exp
        assert money.currency(code.lower()) == code
    for code, exp in table.items():  # units without an exponent (gold, SDR, testing) hold no accounts
        if exp is None:
            with pytest.raises(UnknownCurrency):
                money.currency(code)


@pytest.mark.parametrize("code, exp", [("IQD", 3), ("HUF", 2), ("COP", 2), ("IDR", 2), ("IRR", 2), ("LBP", 2),
                                       ("SYP", 2), ("YER", 2), ("ALL", 2), ("MGA", 2), ("MMK", 2), ("LAK", 2),
                                       ("SOS", 2), ("AFN", 2), ("JPY", 0), ("KRW", 0), ("USD", 2), ("BHD", 3),
                                       ("CLF", 4)])
def test_exponents_are_iso_not_cldr(code, exp):
    assert money.exponent(code) == exp


@pytest.mark.parametrize("code", ["ABC", "XXX", "XAU", "XTS", "", "US", "USDD", "BGN", "DEM", "US-D"])
def test_unknown_or_inactive_codes_are_refused(code):
    with pytest.raises(UnknownCurrency, match="active ISO 4217"):
        money.currency(code)


# -- the strict parser (issue 8 §2) -------------------------------------------------------------------

@pytest.mark.parametrize("amount,cur,minor", [
    ("12.34", "USD", 1234), ("5", "JPY", 5), ("1.234", "BHD", 1234), (Decimal("0.01"), "eur", 1),
    ("1000000", "USD", 100000000), ("1000.250", "IQD", 1000250), ("1000.25", "IQD", 1000250),
    ("0.5", "USD", 50), (".5", "USD", 50), ("5.", "USD", 500), ("007.10", "USD", 710),
    (" 12.34\n", "USD", 1234), ("1 000.00", "USD", 100000), ("１２．３４", "USD", 1234), ("١٢٫٣٤", "USD", 1234),
    ("12.34\u200b", "USD", 1234), (Decimal("1E+3"), "USD", 100000), (7, "USD", 700),
    ("92233720368547758.07", "USD", 2**63 - 1), ("9223372036854775807", "JPY", 2**63 - 1),
    (Decimal("1." + "0" * 5000), "USD", 100),
])
def test_to_minor_gives_the_exact_minor_units(amount, cur, minor):
    assert money.to_minor(amount, cur) == minor


@pytest.mark.parametrize("amount,cur,error,message", [
    ("12.345", "USD", TooManyDecimals, "USD amounts have at most 2 decimals; 12.345 has 3"),
    ("12.340", "USD", TooManyDecimals, "has 3"),
    ("1.5", "JPY", TooManyDecimals, "JPY amounts have no decimals; 1.5 has 1"),
    ("1.2345", "BHD", TooManyDecimals, "at most 3 decimals"),
    ("4.99999999999999999999999999999", "USD", TooManyDecimals, "has 29"),
    ("1e3", "USD", InvalidAmount, "not an amount"), ("1E3", "USD", InvalidAmount, "no exponent"),
    ("0x10", "USD", InvalidAmount, "not an amount"), ("1_000", "USD", InvalidAmount, "not an amount"),
    ("1,000.00", "USD", InvalidAmount, "grouping"), ("1.2.3", "USD", InvalidAmount, "not an amount"),
    (".", "USD", InvalidAmount, "not an amount"), ("+5", "USD", InvalidAmount, "not an amount"),
    ("-5", "USD", InvalidAmount, "without the minus sign"), ("-0", "USD", InvalidAmount, "minus"),
    ("0", "USD", InvalidAmount, "more than zero"), ("0.00", "USD", InvalidAmount, "more than zero"),
    ("", "USD", InvalidAmount, "no amount given"), ("  ", "USD", InvalidAmount, "no amount given"),
    ("abc", "USD", InvalidAmount, "not an amount"), ("NaN", "USD", InvalidAmount, "not an amount"),
    ("Infinity", "USD", InvalidAmount, "not an amount"), ("½", "USD", InvalidAmount, "digits"),
    ("10²", "USD", InvalidAmount, "digits"), ("1\x00", "USD", InvalidAmount, "not text"),
    ("1\udcff", "USD", InvalidAmount, "not text"), ("$5", "USD", InvalidAmount, "not an amount"),
    (1.5, "USD", InvalidAmount, "not float"), (True, "USD", InvalidAmount, "not bool"),
    (Decimal("NaN"), "USD", InvalidAmount, "not an amount"), (Decimal("-1"), "USD", InvalidAmount, "positive"),
    (Decimal("0.001"), "USD", TooManyDecimals, "has 3"),
    ("92233720368547758.08", "USD", AmountTooLarge, "more than the ledger can hold"),
    ("9" * 5000, "USD", AmountTooLarge, "more than the ledger can hold"),
    (Decimal("1E+999999"), "USD", AmountTooLarge, "ledger"), (Decimal("1" * 5000), "USD", AmountTooLarge, "ledger"),
    (Decimal("0." + "0" * 5000 + "1"), "USD", TooManyDecimals, "has 5001"),
    ("1", "ABC", UnknownCurrency, "ISO 4217"), ("1", "", UnknownCurrency, "no currency"),
])
def test_bad_amounts_are_refused_with_plain_messages(amount, cur, error, message):
    with pytest.raises(error) as caught:
        money.to_minor(amount, cur)
    assert message in caught.value.message


def test_zero_is_allowed_for_limits_only():
    assert money.to_minor("0", "USD", allow_zero=True) == 0
    assert money.to_minor("0.00", "USD", allow_zero=True) == 0


_CURRENCIES = st.sampled_from(["USD", "JPY", "IQD", "CLF", "HUF"])


def _oracle(text: str, cur: str) -> int | None:
    """An independent reading: Python's Decimal at 200 digits on the normalised plain form, or None."""
    import re
    import unicodedata

    if any(unicodedata.category(ch) == "No" for ch in text):
        return None
    norm = "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
                   for ch in unicodedata.normalize("NFKC", text) if not ch.isspace()
                   and unicodedata.category(ch) != "Cf").replace("\u066b", ".")
    if not re.fullmatch(r"[0-9]*\.?[0-9]*", norm, re.ASCII) or not any(c.isdigit() for c in norm):
        return None
    if "." in norm and len(norm.split(".")[1]) > money.exponent(cur):
        return None
    with localcontext() as ctx:
        ctx.prec = 200
        value = Decimal(norm) * 10 ** money.exponent(cur)
    return int(value) if 0 < value <= money.INT64_MAX else None


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("0123456789.-e, ١٫１．"), max_size=30),
       cur=_CURRENCIES)
@example(text="4.99999999999999999999999999999", cur="USD")
@example(text="1e3", cur="USD")
def test_any_text_gives_the_exact_minor_units_or_a_typed_refusal(text, cur):
    expected = _oracle(text, cur)
    try:
        got = money.to_minor(text, cur)
    except QenexError:
        got = None
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(whole=st.integers(0, 10**16), frac=st.integers(0, 10**4 - 1), cur=_CURRENCIES,
       locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "ja_JP"]))
def test_typed_amounts_round_trip_in_every_form(whole, frac, cur, locale):
    exp = money.exponent(cur)
    minor = whole * 10**exp + frac % 10**exp if exp else whole
    if not 0 < minor <= money.INT64_MAX:
        return
    assert money.to_minor(money.plain(minor, cur), cur) == minor
    assert money.parse_amount(money.format_number(minor, cur, locale), cur, locale) == minor
    ungrouped = money.plain(minor, cur).replace(".", get_decimal_symbol(locale))
    assert money.parse_amount(ungrouped, cur, locale) == minor


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=25), locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "ar_EG"]))
def test_the_locale_parser_never_fails_untyped(text, locale):
    try:
        assert money.parse_amount(text, "USD", locale) > 0
    except QenexError:
        pass


# -- the operator's locale (forms) --------------------------------------------------------------------

@pytest.mark.parametrize("typed, locale, minor", [
    ("1,000.00", "en_US", 100000), ("1000.00", "en_US", 100000), ("1.000,00", "de_DE", 100000),
    ("1000,5", "de_DE", 100050), ("1 000,00", "fr_FR", 100000), ("1\u202f000,00", "fr_FR", 100000),
    ("1'000.00", "de_CH", 100000), ("10,00,000.00", "en_IN", 100000000), ("１,０００.００", "en_US", 100000),
])
def test_the_operators_locale_grouping_is_accepted(typed, locale, minor):
    assert money.parse_amount(typed, "USD", locale) == minor


@pytest.mark.parametrize("typed, locale, shown", [
    ("1,00", "en_US", "1,234.50"), ("12.50", "de_DE", "1.234,50"), ("1,000.00", "de_DE", "1.234,50"),
    ("1.000,00", "en_US", "1,234.50"), ("1,000.00", "de_CH", "1'234.50"), ("12.5 0", "de_DE", "1.234,50"),
])
def test_other_grouping_is_refused_showing_the_accepted_form(typed, locale, shown):
    with pytest.raises(InvalidAmount, match=f"type digits like {shown}, with or without the thousands separators"):
        money.parse_amount(typed, "USD", locale)


@pytest.mark.parametrize("typed, error", [("-1,000.00", "minus"), ("1e3", "no letters or exponent"), ("12.345", "at most 2"),
                                          ("", "enter an amount, e.g. 1,234.50")])
def test_the_locale_parser_keeps_every_strict_rule(typed, error):
    with pytest.raises(QenexError, match=error):
        money.parse_amount(typed, "USD", "en_US")


def test_formatting_uses_iso_decimals_and_never_rounds():
    assert money.plain(-123456, "USD") == "-1234.56"
    assert money.plain(5, "JPY") == "5"
    assert money.plain(1000250, "IQD") == "1000.250"
    assert money.format_minor(123456, "USD", "en_US") == "$1,234.56"
    assert money.format_minor(1000255, "IQD", "en_US") == "IQD1,000.255"  # CLDR alone would show IQD1,000
    assert money.format_minor(123456, "EUR", "de_DE") == "1.234,56\xa0€"
    assert money.format_minor(-5, "JPY", "en_US") == "-¥5"
    assert money.format_number(2**63 - 1, "USD", "en_US") == "92,233,720,368,547,758.07"


def test_the_per_transfer_maximum_is_documented_per_currency():
    assert money.max_transfer("USD") == 10**15
    assert money.plain(money.max_transfer("IQD"), "IQD") == "1000000000000.000"
    money.check_transfer_amount(10**15, "USD")
    with pytest.raises(AmountTooLarge, match="at most 10,000,000,000,000.00 USD"):
        money.check_transfer_amount(10**15 + 1, "USD")


# -- account numbers ----------------------------------------------------------------------------------

def test_account_numbers_carry_a_check_digit():
    number = numbers.make(42, "deposit")
    assert numbers.validate(number) == number
    slipped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    with pytest.raises(InvalidAccountNumber):
        numbers.validate(slipped)
    with pytest.raises(InvalidAccountNumber):
        numbers.validate("12ab")


@pytest.mark.parametrize("typed", ["abc", "1e3", "$5", "12,00x"])
def test_the_forms_message_agrees_with_its_hint(typed):
    """QA #6: a form whose hint is "e.g. 1,234.50" (and which takes 12,000.00) never says "no grouping"."""
    with pytest.raises(InvalidAmount) as caught:
        money.parse_amount(typed, "USD", "en_US")
    assert "no exponent, sign or grouping" not in caught.value.message
    assert "1,234.50, with or without the thousands separators" in caught.value.message
    assert money.parse_amount("12,000.00", "USD", "en_US") == 1_200_000


def test_an_unknown_account_says_what_to_do():
    from core.ledger.errors import AccountNotFound

    err = AccountNotFound("no account 1000999993", account="1000999993")
    assert err.message.startswith("no account 1000999993; check the number") and "customer search" in err.message
    assert AccountNotFound("no account 1; already advice: x").message == "no account 1; already advice: x"
