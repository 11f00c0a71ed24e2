"""Data for the fraud charts, aggregated in the database (a few grouped queries, whatever the volume).

- alerts raised per hour over the last 48 hours;
- the screen's score distribution over the last 7 days (every screened payment, 20 bins), with the
  review and decline thresholds;
- analyst throughput (decisions per analyst, last 7 days) and SLA breaches per day (last 14 days);
- the share of decided alerts confirmed as fraud, per day over the last 30 days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Integer, cast, func, select
from sqlalchemy.sql import ColumnElement

from core.fraud.config import FraudConfig
from core.persistence.models import FraudAlert, FraudEvent, FraudScore

_AL, _EV, _SC = FraudAlert.__table__, FraudEvent.__table__, FraudScore.__table__
SCORE_BINS = 20
DECISIONS = ("disposition", "snoozed", "escalated")


@dataclass(frozen=True)
class ChartData:
    """``hourly``: (hour start UTC, alerts raised); ``scores``: count per bin of width 1/SCORE_BINS;
    ``throughput``: (analyst, decisions); ``breaches``: (day, SLA breaches); ``confirmed``: (day, share
    confirmed 0..1, decided that day)."""

    now: datetime
    hourly: tuple[tuple[datetime, int], ...]
    scores: tuple[int, ...]
    review_threshold: float
    decline_threshold: float
    throughput: tuple[tuple[str, int], ...]
    breaches: tuple[tuple[datetime, int], ...]
    confirmed: tuple[tuple[datetime, float, int], ...]


def _trunc(conn: Connection, column: ColumnElement, unit: str) -> ColumnElement:
    if conn.dialect.name == "postgresql":
        return func.date_trunc(unit, column)
    return func.strftime("%Y-%m-%d %H:00:00" if unit == "hour" else "%Y-%m-%d 00:00:00", column)


def _when(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def _series(rows: list, start: datetime, step: timedelta, n: int) -> tuple[tuple[datetime, int], ...]:
    got = {_when(k): int(v) for k, v in rows}
    return tuple((start + i * step, got.get(start + i * step, 0)) for i in range(n))


def collect(conn: Connection, now: datetime, config: FraudConfig) -> ChartData:
    hour0 = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=47)
    day0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
    bucket = _trunc(conn, _AL.c.created_at, "hour")
    hourly = conn.execute(select(bucket, func.count()).where(_AL.c.created_at >= hour0).group_by(bucket)).all()

    if conn.dialect.name == "postgresql":
        bin_ = cast(func.least(func.floor(_SC.c.score * SCORE_BINS), SCORE_BINS - 1), Integer)
    else:
        bin_ = func.min(cast(_SC.c.score * SCORE_BINS, Integer), SCORE_BINS - 1)
    scores = [0] * SCORE_BINS
    for b, n in conn.execute(select(bin_, func.count()).where(_SC.c.created_at >= now - timedelta(days=7))
                             .group_by(bin_)):
        scores[max(0, min(SCORE_BINS - 1, int(b)))] += int(n)

    throughput = conn.execute(select(_EV.c.actor, func.count()).where(
        _EV.c.kind.in_(DECISIONS), _EV.c.at >= now - timedelta(days=7)).group_by(_EV.c.actor)
        .order_by(func.count().desc()).limit(12)).all()
    day_ev = _trunc(conn, _EV.c.at, "day")
    breaches = conn.execute(select(day_ev, func.count()).where(
        _EV.c.kind == "sla_breach", _EV.c.at >= day0 - timedelta(days=13)).group_by(day_ev)).all()

    day_closed = _trunc(conn, _AL.c.closed_at, "day")
    decided = conn.execute(select(day_closed, _AL.c.outcome, func.count()).where(
        _AL.c.closed_at >= day0 - timedelta(days=29), _AL.c.outcome.in_(("TRUE_POSITIVE", "FALSE_POSITIVE")))
        .group_by(day_closed, _AL.c.outcome)).all()
    per_day: dict[datetime, list[int]] = {}
    for day, outcome, n in decided:
        tally = per_day.setdefault(_when(day), [0, 0])
        tally[0 if outcome == "TRUE_POSITIVE" else 1] += int(n)
    confirmed = []
    for i in range(30):
        day = day0 - timedelta(days=29 - i)
        tp, fp = per_day.get(day, [0, 0])
        confirmed.append((day, tp / (tp + fp) if tp + fp else 0.0, tp + fp))
    return ChartData(now, _series(hourly, hour0, timedelta(hours=1), 48), tuple(scores), config.review_threshold,
                     config.decline_threshold, tuple((a, int(n)) for a, n in throughput),
                     _series(breaches, day0 - timedelta(days=13), timedelta(days=1), 14), tuple(confirmed))
