"""Provider decline codes in words an operator can act on, and providers' minimum charge amounts.

Decline codes are Stripe's (docs.stripe.com/declines/codes); other adapters map theirs onto these.
Minimums are Stripe's documented minimum charge amounts per settlement currency
(docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); a currency not listed needs 0.50 of
its unit (or one unit for currencies without decimals).
"""
from __future__ import annotations

from core.ledger.money import exponent

_ASK_ANOTHER = "Ask the customer for another card or another way to pay."
MESSAGES: dict[str, str] = {
    "card_declined": "The card issuer declined the payment without giving a reason. " + _ASK_ANOTHER,
    "generic_decline": "The card issuer declined the payment without giving a reason. " + _ASK_ANOTHER,
    "do_not_honor": "The card issuer declined the payment (do not honour). The customer should call their bank.",
    "insufficient_funds": "The card has too little available credit or balance. " + _ASK_ANOTHER,
    "lost_card": "The card is reported lost. Do not retry; keep the card if the bank's policy says so.",
    "stolen_card": "The card is reported stolen. Do not retry; follow the bank's procedure for stolen cards.",
    "pickup_card": "The issuer asks to keep the card (it may be lost or stolen). Do not retry.",
    "expired_card": "The card has expired. " + _ASK_ANOTHER,
    "incorrect_cvc": "The security code (CVV) is wrong. Ask the customer to read it again from the card.",
    "invalid_cvc": "The security code (CVV) is wrong. Ask the customer to read it again from the card.",
    "incorrect_number": "The card number is wrong. Type it again from the card.",
    "invalid_expiry_month": "The expiry month is wrong. Type it again from the card.",
    "invalid_expiry_year": "The expiry year is wrong. Type it again from the card.",
    "processing_error": "The provider had an error processing the card. Try again in a minute.",
    "card_velocity_exceeded": "The card has reached its issuer's limit for now. " + _ASK_ANOTHER,
    "withdrawal_count_limit_exceeded": "The card has reached its issuer's limit for now. " + _ASK_ANOTHER,
    "fraudulent": "The issuer suspects fraud on this card. Do not retry; do not tell the customer more than "
                  "that the card was declined.",
    "merchant_blacklist": "The provider blocks this card. Do not retry.",
    "not_permitted": "The card does not allow this kind of payment. " + _ASK_ANOTHER,
    "currency_not_supported": "The card cannot pay in this currency. " + _ASK_ANOTHER,
    "authentication_required": "The issuer requires 3-D Secure authentication; start the payment again so the "
                               "customer can approve it.",
    "payment_intent_authentication_failure": "The customer did not pass 3-D Secure authentication. "
                                             "Nothing was charged; start again or use another card.",
    "try_again_later": "The issuer could not be reached. Try again in a few minutes.",
}


def operator_message(code: str | None, provider_message: str | None = None) -> str:
    """Plain words for a decline code; unknown codes keep the provider's own message."""
    if code and code in MESSAGES:
        return MESSAGES[code]
    detail = f" ({provider_message})" if provider_message else ""
    return f"The payment was declined{detail}. " + _ASK_ANOTHER


_MINIMUM_MAJOR: dict[str, str] = {
    "USD": "0.50", "EUR": "0.50", "GBP": "0.30", "CAD": "0.50", "AUD": "0.50", "CHF": "0.50", "NZD": "0.50",
    "SGD": "0.50", "BRL": "0.50", "INR": "0.50", "DKK": "2.50", "NOK": "3.00", "SEK": "3.00", "HKD": "4.00",
    "MXN": "10", "PLN": "2.00", "CZK": "15.00", "HUF": "175.00", "RON": "2.00", "BGN": "1.00", "AED": "2.00",
    "THB": "10", "MYR": "2", "JPY": "50",
}


def minimum_amount(currency: str) -> int:
    """The smallest charge in minor units of ``currency`` (USD 50 = 0.50, JPY 50)."""
    from decimal import Decimal

    exp = exponent(currency)
    major = _MINIMUM_MAJOR.get(currency.upper(), "0.50" if exp else "1")
    return max(1, int(Decimal(major).scaleb(exp)))
