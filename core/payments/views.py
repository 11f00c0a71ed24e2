"""What callers pass to and get back from the payments core: plain, immutable values."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.money import plain
from core.payments.cards import CardInput


@dataclass(frozen=True)
class PaymentRequest:
    """A card payment into ``account`` as the desk asks for it. ``id`` is the caller's idempotency key
    (the same id again returns the first payment, or retries the provider call if its answer was lost).

    ``card`` is the card as typed (it is tokenised; its CVV goes to the provider only), or ``card_token``
    names a card already in the vault (a new charge still needs the CVV: ``card`` with that number).
    ``capture``: "automatic" captures right after an approved authorization, "manual" waits.
    """

    id: str
    account: str
    amount: int
    currency: str
    card: CardInput
    description: str = ""
    capture: str = "automatic"

    def fingerprint(self) -> str:
        content = (self.account, self.amount, self.currency, self.card.number[-4:], self.description, self.capture)
        return hashlib.blake2b(repr(content).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class PaymentEventView:
    id: int
    at: datetime
    kind: str
    status: str
    amount: int | None
    source: str
    actor: str
    detail: str
    transfer_id: str | None


# A payment's status in words, the same on the console's list, title and history and in `qenex payments`.
STATUS_WORDS = {"pending": "waiting for the provider", "requires_action": "waiting for 3-D Secure",
                "requires_capture": "authorized", "succeeded": "captured", "refunded": "refunded",
                "canceled": "canceled", "failed": "failed (not charged)", "declined": "declined by fraud screen",
                "processing": "processing"}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


@dataclass(frozen=True)
class PaymentView:
    id: str
    provider: str
    provider_ref: str | None
    account: str
    amount: int
    currency: str
    captured: int
    refunded: int
    status: str
    capture_mode: str
    card: str  # "Visa 424242…4242"
    card_token: str
    description: str
    decline_code: str | None
    message: str | None
    fraud_decision: str | None
    fraud_score: float | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    events: tuple[PaymentEventView, ...] = ()
    replayed: bool = False
    review_alert: int | None = None  # the open fraud alert of a payment held for review (PaymentService.show)

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded

    @property
    def state_words(self) -> str:
        """The status as a list shows it: a payment the fraud screen holds says so (not just "authorized"),
        and a capture of less than the authorization says it was partial."""
        if self.fraud_decision == "review" and self.status in ("requires_capture", "requires_action"):
            return "held for fraud review"
        if self.status in ("succeeded", "refunded") and 0 < self.captured < self.amount:
            return f"{status_words(self.status)} (part)"
        return status_words(self.status)

    def to_dict(self) -> dict[str, Any]:
        c = self.currency
        data = {
            "id": self.id, "provider": self.provider, "provider_ref": self.provider_ref, "account": self.account,
            "amount": plain(self.amount, c), "currency": c, "captured": plain(self.captured, c),
            "refunded": plain(self.refunded, c), "status": self.status, "capture": self.capture_mode,
            "card": self.card, "card_token": self.card_token, "description": self.description,
            "decline_code": self.decline_code, "message": self.message,
            "fraud": None if self.fraud_decision is None else {"decision": self.fraud_decision,
                                                                "score": self.fraud_score},
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(), "replayed": self.replayed,
        }
        if self.review_alert is not None:
            data["review_alert"] = self.review_alert
        if self.events:
            data["events"] = [{"at": e.at.isoformat(), "kind": e.kind, "status": e.status,
                               "amount": None if e.amount is None else plain(e.amount, c), "source": e.source,
                               "actor": e.actor, "detail": e.detail, "transfer_id": e.transfer_id}
                              for e in self.events]
        return data


_SCORE_IN_DETAIL = re.compile(r"(fraud screen: [a-z]+) \(\d+(?:\.\d+)?\)")


def seen_by(view: PaymentView, actor: Any) -> PaymentView:
    """``view`` as ``actor`` may read it (QA4 #3): a person without fraud details (a teller,
    ``core.security.roles.sees_fraud_details``) gets no fraud score, and a fraud-screen decline's message and the
    history say it was declined or held by the fraud screen without the screen's reasons or score."""
    from dataclasses import replace

    from core.ledger.outcome import DECLINED_AT_DESK
    from core.security.roles import sees_fraud_details

    if sees_fraud_details(actor):
        return view
    message = DECLINED_AT_DESK if view.decline_code == "fraud_screen" else view.message
    events = tuple(replace(e, detail=_SCORE_IN_DETAIL.sub(r"\1", e.detail or "")) for e in view.events)
    return replace(view, fraud_score=None, message=message, events=events)


def checked_id(value: object, what: str = "payment id") -> str:
    """An id as typed (through core.text.compact), or ValidationError: 1-64 printable ASCII characters."""
    from core.errors import ValidationError
    from core.text import InvalidText, compact

    try:
        text = compact(value if isinstance(value, str) else "", f"the {what}")
    except InvalidText:
        text = ""
    if not text or len(text) > 64 or not text.isascii() or not text.isprintable():
        shown = value if isinstance(value, str) and value.isprintable() and len(value) <= 40 else "what was given"
        raise ValidationError(f"{shown!r} is not a {what}: 1-64 letters, digits and dashes")
    return text
