"""Typed refusals of the payments core. Each leaves money and the database exactly as they were."""
from __future__ import annotations

from core.errors import NotFound, QenexError, ValidationError


class InvalidCard(ValidationError):
    """The card number fails its check digit or has no known brand."""

    code = "invalid_card"


class CardExpired(ValidationError):
    code = "card_expired"


class InvalidCvc(ValidationError):
    code = "invalid_cvc"


class AmountBelowMinimum(ValidationError):
    """Below what the provider accepts for the currency (Stripe: 0.50 USD/EUR, 50 JPY, ...)."""

    code = "amount_below_minimum"


class RefundExceedsCaptured(QenexError):
    code = "refund_exceeds_captured"


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class InvalidState(QenexError):
    """The payment or order is not in a state that allows this step (e.g. capture after cancel)."""

    code = "invalid_state"


class PaymentDeclined(QenexError):
    """The card issuer or the provider declined; ``decline_code`` is the provider's code."""

    code = "card_declined"

    def __init__(self, message: str, decline_code: str, payment_id: str | None = None) -> None:
        super().__init__(message, decline_code=decline_code, payment=payment_id or "")
        self.decline_code = decline_code
        self.payment_id = payment_id


class ProviderUnavailable(QenexError):
    """The provider could not be reached after the retries; whether the call took effect is unknown
    until the payment is reconciled (the same idempotency key makes a retry safe)."""

    code = "provider_unavailable"


class ProviderError(QenexError):
    """The provider refused the request itself (bad request, authentication, rate limit)."""

    code = "provider_error"


class WebhookSignatureInvalid(QenexError):
    code = "webhook_signature_invalid"


class InvalidBeneficiary(ValidationError):
    """A beneficiary's IBAN, BIC, routing number or account number is wrong."""

    code = "invalid_beneficiary"


class VaultKeyError(QenexError):
    code = "vault_key"


class ProviderNotConfigured(QenexError):
    """No card payment provider is set up: refused before anything (card vault, payment record) is written."""

    code = "provider_not_configured"


NOT_CONFIGURED = ("card payments are not set up: an administrator must configure the payment provider "
                  "(QENEX_STRIPE_API_KEY); nothing was charged or stored")


class InvalidReturnCode(ValidationError):
    """A return reason that is not on the order's rail's list (e.g. NACHA R03 on a SEPA order)."""

    code = "invalid_return_code"


class AlreadyReturned(InvalidState):
    """The order was returned before: a second return would credit the customer twice."""

    code = "already_returned"


class InvalidExpiry(ValidationError):
    """An expiry date that is not a month and year (13/30, 1230): mistyped, not an expired card."""

    code = "invalid_expiry"


class InvalidCaptureAmount(ValidationError):
    """A capture of nothing or of more than the authorization."""

    code = "invalid_capture_amount"
