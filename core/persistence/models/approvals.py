"""Four eyes: requests that wait for a second person (core.approvals), and the configured limits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class ApprovalRequest(Base):
    """One maker's action waiting for a checker. Money actions hold their funds in a pending ledger
    transfer (``transfer_id``) whose timeout is the request's expiry; approving posts it, rejecting voids it.

    ``kind``: transfer (above the maker's limit), gl (a person moves money on a GL account), correction,
    freeze, close, hold_release, overdraft (a limit above the maker's; ``amount`` the limit asked). ``state``: pending, approved, rejected (by a
    checker, or its held transfer voided by someone else), withdrawn (by its maker: the inbox's *Withdraw mine* or
    voiding the held transfer), expired, failed (approved but the action could no longer be done; ``result`` says why).
    """

    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint("kind in ('transfer','gl','correction','freeze','close','hold_release','overdraft')",
                        name="kind"),
        CheckConstraint("state in ('pending','approved','rejected','withdrawn','expired','failed')", name="state"),
        Index("ix_approval_requests_state_id", "state", "id"),
        Index("ix_approval_requests_account", "account"),
        Index("ix_approval_requests_maker_id", "maker", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10))
    account: Mapped[str | None] = mapped_column(String(20))
    counter_account: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    limit_amount: Mapped[int | None] = mapped_column(BigInteger)
    transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    hold_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float | None] = mapped_column(Float)
    maker: Mapped[str] = mapped_column(String(64))
    maker_role: Mapped[str] = mapped_column(String(16))
    maker_device: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checker: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[str | None] = mapped_column(String(200))


class ApprovalLimit(Base):
    """A role's limit in one currency (minor units): a transfer above it waits for a second person."""

    __tablename__ = "approval_limits"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount"),)

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
