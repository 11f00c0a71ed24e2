"""What can be checked about a card payment, a capture or a refund before anything is sent (pure, no I/O).

``card_form`` checks every field of the desk's card form at once and raises one ``Refusals`` naming each
wrong field (``err.field``), so the form shows all of them together, including an amount below the
provider's smallest card payment (known in advance: the card details stay on the form). ``capture`` and
``refund`` are the amount rules the service enforces and the Payments page shows before its confirmation.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from core.errors import QenexError, Refusals, ValidationError
from core.ledger import money, numbers
from core.ledger.money import format_minor, plain
from core.payments import cards
from core.payments.errors import AmountBelowMinimum, InvalidCaptureAmount, InvalidCvc, RefundExceedsCaptured


@dataclass(frozen=True)
class CardForm:
    account: str
    amount: int
    currency: str
    card: cards.CardInput
    brand: str


class InvalidCardPayment(Refusals, ValidationError):
    """One or more fields of a card payment are wrong; ``errors`` has one refusal per field (``.field``)."""

    code = "invalid_card_payment"


def _on(field: str, err: QenexError) -> QenexError:
    err.field = field  # type: ignore[attr-defined]
    return err


def minimum_refusal(amount: int, currency: str, minimum: int) -> AmountBelowMinimum | None:
    if amount >= minimum:
        return None
    return AmountBelowMinimum(f"{format_minor(amount, currency)} is below the smallest card payment in {currency} "
                              f"({format_minor(minimum, currency)}); take {format_minor(minimum, currency)} or more, "
                              "or take the payment another way", minimum=plain(minimum, currency))


def card_form(account: str, amount: str, currency: str, number: str, expiry: str, cvc: str, *,
              minimum: Callable[[str], int], default_currency: str | None = None,
              today: date | None = None) -> CardForm:
    """The typed form as a ``CardForm``, or ``InvalidCardPayment`` with every wrong field's refusal."""
    problems: list[QenexError] = []
    acc = code = minor = month = year = brand = n = None
    try:
        acc = numbers.validate(account.strip())
    except QenexError as err:
        problems.append(_on("account", err))
    try:
        code = money.currency((currency or "").strip() or (default_currency or ""))
    except QenexError as err:
        problems.append(_on("currency", err if (currency or "").strip() else ValidationError(
            "enter the currency (ISO code such as USD)")))
    if code is not None:
        try:
            if not (amount or "").strip():
                raise ValidationError("enter the amount to charge")
            minor = money.parse_amount(amount, code)
            below = minimum_refusal(minor, code, minimum(code))
            if below is not None:
                raise below
        except QenexError as err:
            problems.append(_on("amount", err))
    try:
        n, brand = cards.validate_number(number)
    except QenexError as err:
        problems.append(_on("number", err))
    try:
        month, year = cards.validate_expiry(*cards.parse_expiry(expiry), today=today)
    except QenexError as err:
        problems.append(_on("expiry", err))
    try:
        if brand is not None:
            value = cards.validate_cvc(cvc, brand)
        else:
            value = (cvc or "").strip()
            if not (value.isdigit() and len(value) in (3, 4)):
                raise InvalidCvc("the security code has 3 digits (4 on American Express), on the back of the card")
    except QenexError as err:
        problems.append(_on("cvc", err))
    if problems:
        raise InvalidCardPayment(problems)
    assert acc and code and minor is not None and n and brand and month and year
    return CardForm(acc, minor, code, cards.CardInput(n, month, year, value), brand)


def capture(amount: object, authorized: int, currency: str) -> int:
    """A capture is more than nothing and at most the authorization (the rest of it is released)."""
    fmt = lambda minor: format_minor(minor, currency)  # noqa: E731
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidCaptureAmount(f"capture at least {fmt(1)}; leave the amount empty to capture the whole "
                                   f"{fmt(authorized)} authorized", amount=str(amount))
    if amount > authorized:
        raise InvalidCaptureAmount(f"{fmt(amount)} is more than the {fmt(authorized)} authorized on the card: capture "
                                   f"{fmt(authorized)} or less (a larger charge needs a new payment)",
                                   amount=plain(amount, currency), authorized=plain(authorized, currency))
    return amount


def refund(amount: object, captured: int, refunded: int, currency: str, payment_id: str = "") -> int:
    """A refund is more than nothing and at most what was captured less earlier refunds."""
    fmt = lambda minor: format_minor(minor, currency)  # noqa: E731
    left = captured - refunded
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(f"refund at least {fmt(1)}; leave the amount empty to refund all {fmt(left)} left",
                              amount=str(amount))
    if amount > left:
        on = f" on payment {payment_id}" if payment_id else ""
        raise RefundExceedsCaptured(f"only {fmt(left)} is left to refund{on} ({fmt(captured)} captured, "
                                    f"{fmt(refunded)} already refunded); refund {fmt(left)} or less",
                                    left=plain(left, currency))
    return amount
