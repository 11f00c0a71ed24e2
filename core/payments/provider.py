"""What the payments core needs from a card payment provider, whichever it is.

One adapter per provider implements ``PaymentProvider``: Stripe today (``stripe_provider.py``); Adyen
(``/payments`` + ``/captures`` + ``/refunds`` + HMAC notifications), PayPal (Orders v2: authorize,
capture, refund + webhook verification) or Square (Payments API with ``autocomplete=false``,
CompletePayment, RefundPayment, HMAC-SHA256 webhooks) map onto the same calls:

- ``authorize`` creates and confirms a payment for manual capture (the funds are held on the card);
- ``capture`` takes all or part of what was authorized; ``cancel`` releases an authorization;
- ``refund`` returns all or part of what was captured;
- ``retrieve`` reads the provider's current view (reconciliation after a lost answer or webhook);
- ``parse_webhook`` verifies a notification's signature and normalises it.

Every call that changes something carries an idempotency key the core chose, so a retry after a lost
answer never charges twice. Amounts are integer minor units; currencies ISO 4217 upper case.
Statuses are normalised to ``requires_action | requires_capture | succeeded | canceled | failed |
processing``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.payments.cards import CardInput

STATUSES = ("requires_action", "requires_capture", "succeeded", "canceled", "failed", "processing")


@dataclass(frozen=True)
class IntentState:
    """The provider's view of one payment."""

    ref: str  # the provider's id (Stripe: the PaymentIntent id)
    status: str  # one of STATUSES
    amount: int  # authorized amount, minor units
    currency: str
    captured: int = 0  # what the provider says was captured (0 until captured)
    decline_code: str | None = None
    message: str | None = None  # the provider's own words about a failure
    client_secret: str | None = None  # completes a 3-D Secure challenge (never shown or stored)

    def __repr__(self) -> str:  # keep the client secret out of logs
        return f"IntentState({self.ref}, {self.status}, {self.amount} {self.currency}, captured={self.captured})"


@dataclass(frozen=True)
class RefundState:
    ref: str
    amount: int
    status: str  # succeeded | pending | failed


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook notification, normalised."""

    id: str  # the provider's event id (replays carry the same id)
    type: str  # the provider's event type, e.g. "payment_intent.succeeded"
    created: int  # seconds since the epoch, the provider's clock
    intent: IntentState | None  # the payment it is about, as the event saw it
    metadata: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def configured(self) -> bool: ...

    def describe(self) -> str: ...

    def ping(self) -> None:
        """Raise ProviderUnavailable / ProviderError unless the provider answers with our credentials."""

    def minimum_amount(self, currency: str) -> int: ...

    def authorize(self, *, card: CardInput, amount: int, currency: str, reference: str,
                  idempotency_key: str) -> IntentState: ...

    def complete_authentication(self, ref: str, client_secret: str, *, success: bool) -> IntentState:
        """Sandbox only: act as the cardholder answering the 3-D Secure challenge."""

    def capture(self, ref: str, amount: int, *, idempotency_key: str) -> IntentState: ...

    def cancel(self, ref: str, *, idempotency_key: str) -> IntentState: ...

    def refund(self, ref: str, amount: int, *, idempotency_key: str) -> RefundState: ...

    def retrieve(self, ref: str) -> IntentState: ...

    def parse_webhook(self, payload: bytes, signature: str) -> ProviderEvent: ...
