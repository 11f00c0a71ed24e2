"""Fraud case work tables: cases, the timeline of every alert and case event, case files, suppressions,
the entities each alert names (for related alerts), SLA bands, and customers' digital-banking activity.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class FraudCase(Base):
    """Related alerts worked together: open → investigating → resolved (with an outcome); merged into another."""

    __tablename__ = "fraud_cases"
    __table_args__ = (
        CheckConstraint("status in ('open','investigating','resolved','merged')", name="status"),
        CheckConstraint("outcome is null or outcome in ('TRUE_POSITIVE','FALSE_POSITIVE','INCONCLUSIVE')",
                        name="outcome"),
        Index("ix_fraud_cases_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    merged_into: Mapped[int | None] = mapped_column(BigInteger)


class FraudEvent(Base):
    """One line of an alert's or a case's timeline (claims, notes, dispositions, merges, files, SLA breaches).

    ``data`` is a JSON object with the event's facts. The signed audit trail records the same actions;
    this table is what analysts read.
    """

    __tablename__ = "fraud_events"
    __table_args__ = (
        Index("ix_fraud_events_alert", "alert_id", "id"),
        Index("ix_fraud_events_case", "case_id", "id"),
        Index("ix_fraud_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    alert_id: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text, default="{}")


class CaseFile(Base):
    """An attachment of a case, stored in the database (size-limited: core.cases.files.MAX_FILE_BYTES)."""

    __tablename__ = "fraud_case_files"
    __table_args__ = (CheckConstraint("size >= 0", name="size"), Index("ix_fraud_case_files_case", "case_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Suppression(Base):
    """One rule snoozed for one card (a customer's currency) or one counterparty until ``until``."""

    __tablename__ = "fraud_suppressions"
    __table_args__ = (
        CheckConstraint("scope in ('card','counterparty')", name="scope"),
        Index("ix_fraud_suppressions_key", "scope", "key", "until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(96))
    label: Mapped[str] = mapped_column(String(200))  # what people see, e.g. "Ada Lovelace's USD payments"
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    hits: Mapped[int] = mapped_column(Integer, default=0)  # payments it kept out of the queue


class AlertLink(Base):
    """An entity an alert names (card, counterparty, beneficiary, device): finds related alerts by index."""

    __tablename__ = "fraud_alert_links"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    alert_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class SlaBand(Base):
    """Alerts scoring at least ``min_score`` (and less than the next band) are due ``minutes`` after raised."""

    __tablename__ = "fraud_sla_bands"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes"),)

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    min_score: Mapped[float] = mapped_column(Float)
    minutes: Mapped[int] = mapped_column(Integer)


class CustomerActivity(Base):
    """A customer's digital-banking event (login, failed login, new device) as the bank's channels report it."""

    __tablename__ = "customer_activity"
    __table_args__ = (Index("ix_customer_activity_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # login | login_failed | new_device | password_reset
    channel: Mapped[str] = mapped_column(String(16))
    device: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    detail: Mapped[str] = mapped_column(String(200), default="")
