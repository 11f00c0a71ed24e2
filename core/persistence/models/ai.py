"""Tables of the self-improving loop (core.ai): versioned fraud settings, retrain runs, recommendations.

Every setting the screen uses beyond code defaults lives in ``fraud_settings`` as a full JSON document per
version (one active); a recommendation remembers the model and settings versions active before it was
accepted, so a rollback restores exactly that state.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class FraudSettings(Base):
    """One version of the screen's settings (FraudConfig overrides as JSON); the active one applies."""

    __tablename__ = "fraud_settings"
    __table_args__ = (Index("ix_fraud_settings_active_version", "active", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    settings: Mapped[str] = mapped_column(Text)  # JSON object: FraudConfig field -> value
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class AiRun(Base):
    """One retrain-and-review run: who or what started it, how it ended, what it found."""

    __tablename__ = "ai_runs"
    __table_args__ = (
        CheckConstraint("status in ('running','done','failed','cancelled')", name="status"),
        Index("ix_ai_runs_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | demand
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="running")
    challenger: Mapped[int | None] = mapped_column(Integer)  # fraud_models.version
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON: evaluation, drift, counts, error


class Recommendation(Base):
    """A proposed change with its evidence, decided by a supervisor.

    ``kind``: promote | threshold | rule | terminal | drift. ``change``: what accepting applies (JSON);
    ``evidence``: figures and chart series (JSON). ``status``: open, accepted, rejected, rolled_back,
    superseded (a later run replaced it). ``before``/``after``: the model and settings versions active
    before and after accepting (JSON), which a rollback restores exactly.
    """

    __tablename__ = "ai_recommendations"
    __table_args__ = (
        CheckConstraint("status in ('open','accepted','rejected','rolled_back','superseded')", name="status"),
        Index("ix_ai_recommendations_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(96))  # what it is about: v8, review_threshold, amount, T123
    title: Mapped[str] = mapped_column(String(300))
    change: Mapped[str] = mapped_column(Text, default="{}")
    evidence: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rolled_back_by: Mapped[str | None] = mapped_column(String(64))
