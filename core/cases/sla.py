"""Service levels: each alert is due a fixed time after it is raised, by score band; overdue ones are flagged.

An open alert past its due time is flagged once (``escalation`` = "sla") and the supervisors are told; it
stays open, so analysts still claim and decide it (the queue's Overdue filter). Only an analyst's
escalation hands an alert to the supervisors (status ``escalated``, ``escalation`` = "analyst"; the
Escalated filter). ``core.cases.queue.ESCALATION_WORDS`` says both in words.

The bands live in the database (``fraud_sla_bands``) so every desk agrees; the defaults follow common
card-fraud practice (high-risk holds answered within the hour, as a customer is often waiting) and can be
changed with ``qenex alerts sla --set high=0.8:60`` (admin). An alert keeps the due time it was given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from core.errors import ValidationError
from core.persistence.models import FraudAlert, SlaBand

_AL = FraudAlert.__table__


@dataclass(frozen=True)
class Band:
    """Scores of at least ``min_score`` (up to the next band) are due ``minutes`` after the alert is raised."""

    name: str
    min_score: float
    minutes: int

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "min_score": self.min_score, "minutes": self.minutes}


DEFAULT_BANDS = (Band("high", 0.8, 60), Band("medium", 0.65, 240), Band("low", 0.0, 24 * 60))
MAX_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class SlaPolicy:
    """Bands sorted by ``min_score``, highest first; the last band starts at 0."""

    bands: tuple[Band, ...] = DEFAULT_BANDS

    def __post_init__(self) -> None:
        bands = tuple(sorted(self.bands, key=lambda b: -b.min_score))
        names = [b.name for b in bands]
        if not bands or bands[-1].min_score != 0.0:
            raise ValidationError("the SLA bands must include one starting at score 0")
        if len(set(names)) != len(names) or len({b.min_score for b in bands}) != len(bands):
            raise ValidationError("each SLA band needs its own name and its own lowest score")
        for b in bands:
            if not b.name or len(b.name) > 16 or not b.name.replace("-", "").isalnum():
                raise ValidationError(f"SLA band name {b.name!r} must be 1-16 letters, digits or dashes")
            if not 0.0 <= b.min_score <= 1.0:
                raise ValidationError(f"SLA band {b.name}: the lowest score must be between 0 and 1")
            if not 0 < b.minutes <= MAX_MINUTES:
                raise ValidationError(f"SLA band {b.name}: the due time must be 1 to {MAX_MINUTES} minutes")
        object.__setattr__(self, "bands", bands)

    def band(self, score: float) -> Band:
        return next(b for b in self.bands if score >= b.min_score)

    def due(self, raised_at: datetime, score: float) -> tuple[str, datetime]:
        """(band name, due time) for an alert scoring ``score`` raised at ``raised_at``."""
        band = self.band(score)
        return band.name, raised_at + timedelta(minutes=band.minutes)


def parse_band(text: str) -> Band:
    """``NAME=MIN_SCORE:MINUTES`` (e.g. ``high=0.8:60``) as typed on the command line."""
    try:
        name, rest = text.split("=", 1)
        score, minutes = rest.split(":", 1)
        return Band(name.strip(), float(score), int(minutes))
    except ValueError:
        raise ValidationError(f"{text!r} is not a band; write NAME=MIN_SCORE:MINUTES, e.g. high=0.8:60") from None


def load(conn: Connection) -> SlaPolicy:
    rows = conn.execute(select(SlaBand.name, SlaBand.min_score, SlaBand.minutes)).all()
    return SlaPolicy(tuple(Band(*r) for r in rows)) if rows else SlaPolicy()


def save(conn: Connection, policy: SlaPolicy) -> None:
    conn.execute(delete(SlaBand.__table__))
    conn.execute(insert(SlaBand.__table__), [b.to_dict() for b in policy.bands])


def overdue_ids(conn: Connection, now: datetime, limit: int = 1000) -> list[int]:
    """Open alerts past their due time that were not escalated yet (oldest due first)."""
    return list(conn.scalars(select(_AL.c.id).where(_AL.c.status != "closed", _AL.c.status == "open", _AL.c.due_at < now,
                                                    _AL.c.escalation.is_(None))
                             .order_by(_AL.c.due_at).limit(limit)))


def mark_escalated(conn: Connection, ids: list[int], now: datetime) -> list[int]:
    """Flag ``ids`` as SLA breaches, overdue (once each; a concurrent sweep on another desk flags none twice).
    They stay open: analysts may still work them."""
    done = []
    for alert_id in ids:
        result = conn.execute(update(_AL).where(_AL.c.id == alert_id, _AL.c.escalation.is_(None),
                                                _AL.c.status == "open")
                              .values(escalation="sla", escalated_at=now, updated_at=now, updated_by="system"))
        if result.rowcount:
            done.append(alert_id)
    return done
