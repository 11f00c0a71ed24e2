"""Fraud tables: online feature state, the model registry, scores, alerts and labels.

Feature state is bins per entity: a card's in its fraud_cards row (written whole under a version check
or the row's lock), counterparties' and countries' as fraud_bins rows updated with atomic upserts, so
desks posting at once never lose an update and a restart loses nothing. Bin sums are statistics
for features (floats), not money.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Float, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class FraudBin(Base):
    """One time bin of a counterparty or country (kind 'cp' | 'country'; a card's bins are in its fraud_cards
    row since migration 0018): grain 'q' (5 minutes), 'h' (hour) or 'd' (day); slot = time // grain."""

    __tablename__ = "fraud_bins"
    __table_args__ = (CheckConstraint("grain in ('q','h','d')", name="grain"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # card | cp | country
    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    sumsq: Mapped[float] = mapped_column(Float, default=0.0)
    frauds: Mapped[int] = mapped_column(Integer, default=0)
    outliers: Mapped[int] = mapped_column(Integer, default=0)
    outlier_total: Mapped[float] = mapped_column(Float, default=0.0)
    max_ratio: Mapped[float] = mapped_column(Float, default=0.0)


class FraudSeen(Base):
    """Counterparties and devices a card has used before (for 'new counterparty' / 'new device')."""

    __tablename__ = "fraud_seen"

    card: Mapped[str] = mapped_column(String(96), primary_key=True)
    kind: Mapped[str] = mapped_column(String(3), primary_key=True)  # cp | dev
    item: Mapped[str] = mapped_column(String(64), primary_key=True)


class FraudCard(Base):
    """A card's state: the time of its latest payment (for 'seconds since the last payment'; None when only a
    label has reached it) and its 5-minute, hourly and daily bins as text (core.fraud.cardbins)."""

    __tablename__ = "fraud_cards"

    card: Mapped[str] = mapped_column(String(96), primary_key=True)
    last_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bins: Mapped[str] = mapped_column(Text, default="", server_default="")


class FraudModel(Base):
    """A registered model: a skops blob plus what it was trained on and how well it validated."""

    __tablename__ = "fraud_models"
    __table_args__ = (Index("ix_fraud_models_active_version", "active", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    trained_from: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_to: Mapped[datetime] = mapped_column(UTCDateTime)
    label_delay_days: Mapped[int] = mapped_column(Integer)
    feature_names: Mapped[str] = mapped_column(Text)  # JSON list
    metrics: Mapped[str] = mapped_column(Text)  # JSON object
    blob: Mapped[bytes] = mapped_column(LargeBinary)  # skops
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class FraudScore(Base):
    """The screen's verdict on a transfer (declined ones too, which never post)."""

    __tablename__ = "fraud_scores"
    __table_args__ = (
        CheckConstraint("decision in ('approve','review','decline')", name="decision"),
        Index("ix_fraud_scores_created", "created_at", postgresql_using="brin"),  # time order: a BRIN (0017)
    )

    transfer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of plain-words reasons
    model_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


_ACTIVE = "status <> 'closed'"


class FraudAlert(Base):
    """A payment an analyst must look at (held for review by the screen, or raised by hand), worked to a
    disposition. The queue's columns are copied from the transfer, account and customer when the alert is
    raised, so the queue is one indexed table however large it grows (core.cases.intake).

    ``status``: open (in the queue; ``assignee`` holds it while its lease lasts), escalated (waits for a
    supervisor), closed (``outcome`` TRUE_POSITIVE | FALSE_POSITIVE, or ``resolution`` says the hold was
    resolved elsewhere). ``outcome`` INCONCLUSIVE keeps the alert open (snoozed until ``snoozed_until``
    or back in the queue). Amounts: ``amount`` minor units of ``currency``; ``amount_scaled`` the same
    amount in 1/10,000 of the currency unit (sorting and filtering across currencies, no FX).
    """

    __tablename__ = "fraud_alerts"
    __table_args__ = (
        CheckConstraint("status in ('open','escalated','closed')", name="status"),
        CheckConstraint("outcome is null or outcome in ('TRUE_POSITIVE','FALSE_POSITIVE','INCONCLUSIVE')",
                        name="outcome"),
        CheckConstraint("(assignee is null) = (lease_until is null)", name="claim"),
        CheckConstraint("status <> 'closed' or assignee is null", name="closed_unclaimed"),
        Index("ix_fraud_alerts_status_created", "status", "created_at"),
        # The active queue's orders (core.cases.queue.SORTS), partial: closed alerts cost them nothing.
        Index("ix_fraud_alerts_active_due", "due_at", text("score DESC"), "id", postgresql_where=text(_ACTIVE),
              sqlite_where=text(_ACTIVE)),
        Index("ix_fraud_alerts_active_created", "created_at", "id", postgresql_where=text(_ACTIVE),
              sqlite_where=text(_ACTIVE)),
        Index("ix_fraud_alerts_active_score", "score", "id", postgresql_where=text(_ACTIVE), sqlite_where=text(_ACTIVE)),
        Index("ix_fraud_alerts_active_amount", "amount_scaled", "id", postgresql_where=text(_ACTIVE),
              sqlite_where=text(_ACTIVE)),
        Index("ix_fraud_alerts_assignee", "assignee"),
        Index("ix_fraud_alerts_customer", "customer_id", "created_at"),
        Index("ix_fraud_alerts_case", "case_id"),
        Index("ix_fraud_alerts_updated", "updated_at"),
        Index("ix_fraud_alerts_closed", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of plain-word reasons
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10), default="screen")  # screen | manual
    rule: Mapped[str | None] = mapped_column(String(32))  # the strongest reason's key (core.cases.rules)
    rules: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of every reason key
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    account: Mapped[str | None] = mapped_column(String(20))  # the paying account's number
    beneficiary: Mapped[str | None] = mapped_column(String(64))  # the receiving account's number (or IBAN)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    amount_scaled: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    channel: Mapped[str | None] = mapped_column(String(16))
    counterparty: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    band: Mapped[str] = mapped_column(String(16), default="low")  # SLA score band (core.cases.sla)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation: Mapped[str | None] = mapped_column(String(10))  # None | sla | analyst
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(16))  # disposition | hold_posted | hold_voided | hold_expired
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(BigInteger)


class FraudLabel(Base):
    """Ground truth for a transfer, arriving late (chargebacks, analyst dispositions)."""

    __tablename__ = "fraud_labels"

    transfer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_fraud: Mapped[bool] = mapped_column(Boolean)
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    labelled_by: Mapped[str] = mapped_column(String(64))
