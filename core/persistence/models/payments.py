"""Payment tables: card payments through a provider, their event history, the card vault, payment orders.

Money is integer minor units. A card number exists here only as AES-GCM ciphertext (``vault_cards``);
screens and logs use the first six and last four digits. The CVV is never stored anywhere.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime

PAYMENT_STATUSES = ("pending", "requires_action", "requires_capture", "succeeded", "refunded", "canceled", "failed",
                    "declined")
ORDER_STATUSES = ("created", "submitted", "settled", "returned", "canceled")
RAILS = ("sepa", "ach", "wire")


class VaultCard(Base):
    """One tokenised card: the number encrypted with the vault key of ``key_version`` (AES-256-GCM,
    the token as associated data), plus what may be shown (first six, last four, brand, expiry)."""

    __tablename__ = "vault_cards"

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary(64))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # keyed HMAC: finds a known card
    first6: Mapped[str] = mapped_column(String(6))
    last4: Mapped[str] = mapped_column(String(4))
    brand: Mapped[str] = mapped_column(String(16))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Payment(Base):
    """A card payment into a customer's account, through a provider (``provider_ref``: its PaymentIntent).

    ``captured`` and ``refunded`` are what the ledger has posted; the core refuses a refund above
    ``captured - refunded`` whatever the provider would allow.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("captured >= 0 and refunded >= 0 and refunded <= captured and captured <= amount",
                        name="captured"),
        Index("ix_payments_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    captured: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))
    capture_mode: Mapped[str] = mapped_column(String(10))  # automatic | manual
    card_token: Mapped[str] = mapped_column(String(40))
    card_display: Mapped[str] = mapped_column(String(32))  # "VISA 424242…4242"
    description: Mapped[str] = mapped_column(String(200), default="")
    decline_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(300))
    fraud_decision: Mapped[str | None] = mapped_column(String(10))
    fraud_score: Mapped[float | None]
    fingerprint: Mapped[str] = mapped_column(String(64))  # the request's content, to recognise a retry
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentEvent(Base):
    """One step in a payment's history. ``provider_event`` (a webhook's event id) is unique, so a
    replayed webhook is recognised; ``transfer_id`` names the ledger posting the step made, if any."""

    __tablename__ = "payment_events"
    __table_args__ = (Index("ix_payment_events_payment_id_id", "payment_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # desk | webhook | reconcile | cli
    provider_event: Mapped[str | None] = mapped_column(String(64), unique=True)
    transfer_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentOrder(Base):
    """An outgoing bank transfer: the customer's money already moved to the rail's clearing account by
    ``transfer_id``; the order goes created -> submitted -> settled | returned (with ``return_reason``)."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("rail in ('sepa','ach','wire')", name="rail"),
        CheckConstraint("status in ('created','submitted','settled','returned','canceled')", name="status"),
        UniqueConstraint("transfer_id", name="uq_payment_orders_transfer_id"),
        Index("ix_payment_orders_status_rail", "status", "rail"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rail: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    beneficiary_name: Mapped[str] = mapped_column(String(140))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    routing: Mapped[str | None] = mapped_column(String(9))
    account_number: Mapped[str | None] = mapped_column(String(34))
    reference: Mapped[str] = mapped_column(String(140), default="")
    transfer_id: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    return_reason: Mapped[str | None] = mapped_column(String(140))
    closing_transfer_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
