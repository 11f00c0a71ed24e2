"""Teller tables: account holds (amount blocks with a reason) and printed receipts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class AccountHold(Base):
    """An amount blocked on an account. The block itself is a pending ledger transfer (account -> the
    currency's suspense GL account, ``transfer_id``) whose timeout is the hold's expiry, so available
    balance, expiry and release reuse the ledger's two-phase rules; this row adds why and who."""

    __tablename__ = "account_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_account_holds_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_note: Mapped[str | None] = mapped_column(String(200))


class ReceiptPrint(Base):
    """Each copy of a transfer receipt that was printed: copy 1 is the original, later copies are reprints."""

    __tablename__ = "receipt_prints"
    __table_args__ = (UniqueConstraint("transfer_id", "copy", name="copy"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64))
    copy: Mapped[int] = mapped_column(Integer)
    printed_by: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime)
