"""The analysts' real capacity: alerts a day they clear, measured from their dispositions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from core.persistence.models.fraud import FraudAlert
from core.words import counted

WINDOW_DAYS = 30
DEFAULT_CAPACITY = 100  # alerts a day, assumed until analysts have decided enough (the Handbook's k)
MIN_DISPOSITIONS, MIN_DAYS = 50, 5  # fewer: too little to call it the analysts' capacity
_AL = FraudAlert.__table__.c


@dataclass(frozen=True)
class Capacity:
    """``per_day``: alerts cleared on an average working day (a day with any disposition) of the window."""

    per_day: int
    measured: bool  # False: too few dispositions yet, DEFAULT_CAPACITY assumed
    dispositions: int
    days: int

    def words(self) -> str:
        if not self.measured:
            return (f"analysts' capacity assumed {counted(self.per_day, 'alert')} a day "
                    f"({counted(self.dispositions, 'disposition')} in "
                f"{WINDOW_DAYS} days are too few to measure it)")
        return f"analysts clear {counted(self.per_day, 'alert')} a day"


def measure(conn: Connection, now: datetime) -> Capacity:
    """Dispositions (confirmed or false positive) closed in the last WINDOW_DAYS, per working day."""
    since = now - timedelta(days=WINDOW_DAYS)
    closed = select(_AL.closed_at).where(_AL.closed_at >= since, _AL.outcome.in_(("TRUE_POSITIVE", "FALSE_POSITIVE")))
    times = [t for (t,) in conn.execute(closed)]
    days = len({t.date() for t in times})
    if len(times) < MIN_DISPOSITIONS or days < MIN_DAYS:
        return Capacity(DEFAULT_CAPACITY, False, len(times), days)
    return Capacity(max(1, round(len(times) / days)), True, len(times), days)


def decided_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(FraudAlert.__table__).where(_AL.outcome.is_not(None))) or 0)
