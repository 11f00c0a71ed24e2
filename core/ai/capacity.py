"""The analysts' real capacity: alerts a day they clear, measured from their dispositions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from core.persistence.models.fraud import FraudAlert

WINDOW_DAYS = 30
DEFAULT_CAPACITY = 100  # alerts a day, assumed until analysts have decided some (the Handbook's k)
_AL = FraudAlert.__table__.c


@dataclass(frozen=True)
class Capacity:
    """``per_day``: alerts cleared on an average working day (a day with any disposition) of the window."""

    per_day: int
    measured: bool  # False: no dispositions yet, DEFAULT_CAPACITY assumed
    dispositions: int
    days: int

    def words(self) -> str:
        if not self.measured:
            return f"analysts' capacity assumed {self.per_day} alerts a day (no dispositions in {WINDOW_DAYS} days)"
        return f"analysts clear {self.per_day} alerts a day"


def measure(conn: Connection, now: datetime) -> Capacity:
    """Dispositions (confirmed or false positive) closed in the last WINDOW_DAYS, per working day."""
    since = now - timedelta(days=WINDOW_DAYS)
    closed = select(_AL.closed_at).where(_AL.closed_at >= since, _AL.outcome.in_(("TRUE_POSITIVE", "FALSE_POSITIVE")))
    times = [t for (t,) in conn.execute(closed)]
    if not times:
        return Capacity(DEFAULT_CAPACITY, False, 0, 0)
    days = len({t.date() for t in times})
    return Capacity(max(1, round(len(times) / days)), True, len(times), days)


def decided_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(FraudAlert.__table__).where(_AL.outcome.is_not(None))) or 0)
