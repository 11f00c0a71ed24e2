"""Cash drawer tables: drawers (each a GL account), their sessions, and cash flagged for a currency
transaction report (core.drawers); standing instructions and their runs (core.teller.standing)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class Drawer(Base):
    """A physical cash drawer in one currency; its cash is the balance of GL account ``account_id``
    (kind ``drawer``)."""

    __tablename__ = "drawers"
    __table_args__ = (UniqueConstraint("name", "currency", name="name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    account_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DrawerSession(Base):
    """One teller's session on a drawer: opened with a counted float, counted blind, closed.

    ``status``: open (takes cash), counted (the blind count is in; no more cash), closed. Counts are
    JSON objects ``{"denomination in minor units": pieces}``. ``difference`` = counted - expected
    (positive: over, negative: short)."""

    __tablename__ = "drawer_sessions"
    __table_args__ = (
        CheckConstraint("status in ('open','counted','closed')", name="status"),
        # one live session per drawer and per teller and currency
        Index("uq_drawer_sessions_live_drawer", "drawer_id", unique=True,
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
        Index("uq_drawer_sessions_live_teller", "teller", "currency", unique=True,
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    drawer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    teller: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opening_float: Mapped[int] = mapped_column(BigInteger)
    opening_counts: Mapped[str] = mapped_column(Text)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted: Mapped[int | None] = mapped_column(BigInteger)
    counts: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[int | None] = mapped_column(BigInteger)
    difference: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    supervisor: Mapped[str | None] = mapped_column(String(64))
    supervisor_note: Mapped[str | None] = mapped_column(String(500))


class CashReport(Base):
    """Cash above the reporting threshold, flagged for a currency transaction report (CTR), with the
    customer's ID document as shown at the desk."""

    __tablename__ = "cash_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(BigInteger, index=True)
    account: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    id_type: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(40))
    teller: Mapped[str] = mapped_column(String(64))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StandingInstruction(Base):
    """A customer's recurring transfer: ``amount`` from ``debit_account_id`` to ``credit_account_id``
    every week or month from ``valid_from`` (which fixes the weekday or day of month) to ``valid_until``."""

    __tablename__ = "standing_instructions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("frequency in ('weekly','monthly')", name="frequency"),
        CheckConstraint("status in ('active','cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    debit_account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    credit_account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(140))
    status: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StandingRun(Base):
    """One due date of a standing instruction: posted, held (fraud review) or failed. Unique per due
    date, so no due date ever runs twice, whichever desk's job gets there first."""

    __tablename__ = "standing_runs"
    __table_args__ = (
        UniqueConstraint("instruction_id", "due_date", name="due"),
        CheckConstraint("state in ('posted','held','failed')", name="state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    transfer_id: Mapped[str] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(500))
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
