"""The Stripe adapter, on the official ``stripe`` SDK (PaymentIntents with manual capture).

Settings: ``QENEX_STRIPE_API_KEY`` (``sk_test_…`` or ``sk_live_…``), ``QENEX_STRIPE_API_BASE`` (default
https://api.stripe.com; a localstripe server in tests), ``QENEX_STRIPE_WEBHOOK_SECRET`` (``whsec_…``,
to verify webhook signatures), ``QENEX_STRIPE_MAX_RETRIES`` (default 3).

- Every POST carries the core's idempotency key (``Idempotency-Key``), so the SDK's retries and ours
  after an unknown outcome never charge twice. Network errors are retried by the SDK with exponential
  backoff and jitter (0.5 s doubling, at most 5 s, ``max_network_retries``).
- The card goes to Stripe as a PaymentMethod created in the same call chain and is never logged: the
  SDK's own request logging has card fields scrubbed (``_Scrub``) and its console echo is turned off.
- A PaymentIntent is created with ``confirm=True`` and ``payment_method=…`` (localstripe answers "Not
  implemented" to confirming with a payment method later) and ``capture_method=manual``.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from types import ModuleType

from core.payments import declines
from core.payments.cards import CardInput
from core.payments.errors import PaymentDeclined, ProviderError, ProviderUnavailable, WebhookSignatureInvalid
from core.payments.provider import IntentState, ProviderEvent, RefundState

DEFAULT_BASE = "https://api.stripe.com"
DEFAULT_RETRIES = 3
WEBHOOK_TOLERANCE_S = 300  # Stripe's default: a signature older than 5 minutes is refused (replay window)
_STATUS = {"requires_action": "requires_action", "requires_capture": "requires_capture",
           "succeeded": "succeeded", "canceled": "canceled", "requires_payment_method": "failed",
           "requires_confirmation": "processing", "processing": "processing"}


class _Scrub(logging.Filter):
    """Removes card numbers and security codes from the SDK's debug log lines."""

    _PATTERN = re.compile(r"(card(?:%5B|\[)(?:number|cvc)(?:%5D|\])=)[^&\s\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "card" in message:
            record.msg, record.args = self._PATTERN.sub(r"\1[redacted]", message), None
        return True


_log = logging.getLogger("stripe")
if not any(isinstance(f, _Scrub) for f in _log.filters):
    _log.addFilter(_Scrub())


def _stripe() -> ModuleType:
    """The Stripe SDK, imported on first use (it takes a second to import: a command that takes no card
    payment never pays for it)."""
    import stripe
    from stripe import _util as stripe_util

    stripe_util.STRIPE_LOG = None  # STRIPE_LOG=debug would print request bodies (card fields) to stderr
    return stripe


class StripeProvider:
    """``PaymentProvider`` for Stripe. Thread-safe: one ``StripeClient`` shared by the workers."""

    name = "stripe"

    def __init__(self, api_key: str | None, api_base: str | None = None, webhook_secret: str | None = None,
                 max_retries: int = DEFAULT_RETRIES) -> None:
        self.api_key = api_key or ""
        self.api_base = (api_base or DEFAULT_BASE).rstrip("/")
        self.webhook_secret = webhook_secret or ""
        self.max_retries = max_retries
        self._client = (_stripe().StripeClient(self.api_key, base_addresses={"api": self.api_base},
                                            max_network_retries=max_retries) if self.api_key else None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "StripeProvider":
        retries = environ.get("QENEX_STRIPE_MAX_RETRIES", "").strip()
        return cls(environ.get("QENEX_STRIPE_API_KEY") or None, environ.get("QENEX_STRIPE_API_BASE") or None,
                   environ.get("QENEX_STRIPE_WEBHOOK_SECRET") or None,
                   int(retries) if retries.isdigit() else DEFAULT_RETRIES)

    # -- state ----------------------------------------------------------------------------------
    def configured(self) -> bool:
        return self._client is not None

    @property
    def sandbox(self) -> bool:
        """True for test keys or a base other than Stripe's own (localstripe)."""
        return self.api_key.startswith("sk_test_") or self.api_base != DEFAULT_BASE

    def describe(self) -> str:
        if not self.configured():
            return "Stripe: QENEX_STRIPE_API_KEY is not set"
        mode = "test mode" if self.sandbox else "live"
        return f"Stripe ({mode}) at {self.api_base}"

    def ping(self) -> None:
        self._call(lambda c: c.v1.balance.retrieve())

    def minimum_amount(self, currency: str) -> int:
        return declines.minimum_amount(currency)

    # -- payments -------------------------------------------------------------------------------
    def authorize(self, *, card: CardInput, amount: int, currency: str, reference: str,
                  idempotency_key: str) -> IntentState:
        method = self._call(lambda c: c.v1.payment_methods.create(
            {"type": "card", "card": {"number": card.number, "exp_month": card.exp_month,
                                      "exp_year": card.exp_year, "cvc": card.cvc}},
            {"idempotency_key": f"{idempotency_key}:pm"}))
        intent = self._call(lambda c: c.v1.payment_intents.create(
            {"amount": amount, "currency": currency.lower(), "payment_method": method.id, "confirm": True,
             "capture_method": "manual", "payment_method_types": ["card"], "metadata": {"qenex_payment": reference}},
            {"idempotency_key": idempotency_key}))
        return _intent(intent)

    def complete_authentication(self, ref: str, client_secret: str, *, success: bool) -> IntentState:
        if not self.sandbox:
            raise ProviderError("3-D Secure is completed by the cardholder with their bank; the console can "
                                "only simulate it against a test provider")
        self._call(lambda c: c.raw_request("post", f"/v1/payment_intents/{ref}/_authenticate",
                                           client_secret=client_secret, success="true" if success else "false"))
        return self.retrieve(ref)

    def capture(self, ref: str, amount: int, *, idempotency_key: str) -> IntentState:
        return _intent(self._call(lambda c: c.v1.payment_intents.capture(
            ref, {"amount_to_capture": amount}, {"idempotency_key": idempotency_key})))

    def cancel(self, ref: str, *, idempotency_key: str) -> IntentState:
        return _intent(self._call(lambda c: c.v1.payment_intents.cancel(ref, {}, {"idempotency_key": idempotency_key})))

    def refund(self, ref: str, amount: int, *, idempotency_key: str) -> RefundState:
        refund = self._call(lambda c: c.v1.refunds.create({"payment_intent": ref, "amount": amount},
                                                          {"idempotency_key": idempotency_key}))
        return RefundState(refund.id, int(refund.amount), str(refund.status))

    def retrieve(self, ref: str) -> IntentState:
        return _intent(self._call(lambda c: c.v1.payment_intents.retrieve(ref)))

    def parse_webhook(self, payload: bytes, signature: str) -> ProviderEvent:
        if not self.webhook_secret:
            raise ProviderError("QENEX_STRIPE_WEBHOOK_SECRET is not set, so webhooks cannot be verified")
        stripe = _stripe()
        try:
            event = stripe.Webhook.construct_event(payload, signature or "", self.webhook_secret,
                                                   tolerance=WEBHOOK_TOLERANCE_S)
        except stripe.SignatureVerificationError:
            raise WebhookSignatureInvalid("the webhook's Stripe-Signature does not match its body and our "
                                          "webhook secret; it was ignored") from None
        except ValueError:
            raise WebhookSignatureInvalid("the webhook body is not a Stripe event; it was ignored") from None
        obj = _plain(event["data"]["object"]) if "data" in event else None
        intent = _intent(obj) if obj is not None and obj.get("object") == "payment_intent" else None
        metadata = dict(obj.get("metadata") or {}) if obj is not None else {}
        return ProviderEvent(str(event.id), str(event.type), int(event.created), intent, metadata)

    # -- plumbing -------------------------------------------------------------------------------
    def _call(self, fn: Any) -> Any:
        if self._client is None:
            raise ProviderError("no payment provider is configured: set QENEX_STRIPE_API_KEY "
                                "(and QENEX_STRIPE_API_BASE for a test server)")
        stripe = _stripe()
        try:
            return fn(self._client)
        except stripe.CardError as err:
            error = err.error
            code = (getattr(error, "decline_code", None) or getattr(error, "code", None) or "card_declined")
            raise PaymentDeclined(declines.operator_message(code, err.user_message), code) from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as err:
            raise ProviderUnavailable(f"Stripe could not be reached after {self.max_retries} retries "
                                      f"({_first_line(err)}); nothing is lost: try again, the same request "
                                      "is recognised") from None
        except stripe.AuthenticationError:
            raise ProviderError("Stripe refused the API key: check QENEX_STRIPE_API_KEY") from None
        except stripe.StripeError as err:
            raise ProviderError(f"Stripe refused the request: {_first_line(err)}") from None


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _intent(obj: Any) -> IntentState:
    obj = _plain(obj)
    status = _STATUS.get(str(obj.get("status")), "processing")
    error = obj.get("last_payment_error") or {}
    code = error.get("decline_code") or error.get("code") if error else None
    received = obj.get("amount_received")
    captured = int(received) if received is not None else (int(obj["amount"]) if status == "succeeded" else 0)
    return IntentState(ref=str(obj["id"]), status=status, amount=int(obj["amount"]),
                       currency=str(obj["currency"]).upper(), captured=captured,
                       decline_code=code if status == "failed" else None,
                       message=error.get("message") if status == "failed" and error else None,
                       client_secret=obj.get("client_secret"))


def _first_line(err: Exception) -> str:
    text = (getattr(err, "user_message", None) or str(err) or type(err).__name__).strip()
    return text.splitlines()[0][:200]
