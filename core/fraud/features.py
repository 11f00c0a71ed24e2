"""Online features: one code path for training, backtest and the posting screen.

Every feature uses only what was known at the transaction's time. Card spending windows cover
the card's earlier transactions plus the current one; terminal, merchant and country risk use
only whole days that ended at least ``delay`` days before the transaction (labels arrive late),
so a label younger than the delay can never move them. Windows are sums over time bins
(5-minute, hourly, daily), so the work per transaction is bounded whatever the history.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.fraud.txn import DAY, HOUR, QUARTER, Txn, channel_code

FEATURE_NAMES: tuple[str, ...] = (
    "amount", "log_amount", "hour", "night", "weekend",
    "card_n_1h", "card_n_1d", "card_n_7d", "card_n_30d",
    "card_sum_1h", "card_sum_1d", "card_sum_7d", "card_sum_30d",
    "card_avg_1d", "card_avg_7d", "card_avg_30d",
    "ratio_1d", "ratio_7d", "ratio_30d", "z_30d",
    "velocity_10m", "log_secs_since_last", "new_counterparty", "new_device", "card_known_frauds",
    "card_outliers_7d", "card_outliers_30d", "card_max_ratio_7d",
    "cp_n_1d", "cp_n_7d", "cp_n_30d", "cp_risk_1d", "cp_risk_7d", "cp_risk_30d",
    "cp_first_fraud_age", "cp_last_fraud_age",
    "country_n_30d", "country_risk_30d", "channel",
)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_RATIO, _N30 = INDEX["ratio_30d"], INDEX["card_n_30d"]
NO_HISTORY_SECS = 90 * DAY
NO_FRAUD_AGE = 99.0
OUTLIER_RATIO = 2.5  # a card payment this many times the card's 30-day average counts as an outlier
OUTLIER_MIN_HISTORY = 5
_EMPTY: dict[int, list[float]] = {}


@dataclass(slots=True)
class Snapshot:
    """The state a transaction's features read.

    Every bin is [count, sum, sum of squares, frauds, outliers, largest ratio]; sub-day bins use
    only the first two.
    """

    card_q: dict[int, list[float]]
    card_h: dict[int, list[float]]
    card_d: dict[int, list[float]]
    cp_d: dict[int, list[float]]
    country_d: dict[int, list[float]]
    card_last_ts: int | None
    seen_counterparty: bool
    seen_device: bool


def empty_snapshot() -> Snapshot:
    return Snapshot(_EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY, None, False, False)


def _risk(bins: dict[int, list[float]], d: int, delay: int) -> tuple[float, ...]:
    """Over whole days [d-delay-w, d-delay-1] for w = 1, 7, 30: counts, fraud shares, and the age
    in days (from ``d``) of the oldest and newest known fraud."""
    top = d - delay - 1
    n1 = f1 = n7 = f7 = n30 = f30 = 0.0
    first = last = -1
    for s, b in bins.items():
        age = top - s
        if 0 <= age < 30:
            n30 += b[0]
            f30 += b[3]
            if b[3] > 0:
                if first < 0 or s < first:
                    first = s
                if s > last:
                    last = s
            if age < 7:
                n7 += b[0]
                f7 += b[3]
                if age == 0:
                    n1 += b[0]
                    f1 += b[3]
    return (n1, n7, n30, f1 / n1 if n1 else 0.0, f7 / n7 if n7 else 0.0, f30 / n30 if n30 else 0.0,
            float(d - first) if first >= 0 else NO_FRAUD_AGE, float(d - last) if last >= 0 else NO_FRAUD_AGE)


_NO_RISK = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, NO_FRAUD_AGE, NO_FRAUD_AGE)


def is_outlier(row: list[float]) -> bool:
    """Whether a scored payment counts as an outlier in its card's later features."""
    return row[_RATIO] >= OUTLIER_RATIO and row[_N30] > OUTLIER_MIN_HISTORY


def compute(snap: Snapshot, tx: Txn, delay_days: int) -> list[float]:
    """The feature vector of ``tx`` (order: FEATURE_NAMES) from the state before it."""
    ts, amount = tx.ts, tx.amount
    q, h, d = ts // QUARTER, ts // HOUR, ts // DAY

    n1h = s1h = v10 = 0.0
    for s, b in snap.card_q.items():
        age = q - s
        if 0 <= age < 12:
            n1h += b[0]
            s1h += b[1]
            if age < 2:
                v10 += b[0]
    n1d = s1d = 0.0
    for s, b in snap.card_h.items():
        if 0 <= h - s < 24:
            n1d += b[0]
            s1d += b[1]
    n7 = s7 = n30 = s30 = sq30 = known = out7 = out30 = max7 = 0.0
    known_top = d - delay_days - 1
    for s, b in snap.card_d.items():
        age = d - s
        if 0 <= age < 30:
            n30 += b[0]
            s30 += b[1]
            sq30 += b[2]
            out30 += b[4]
            if age < 7:
                n7 += b[0]
                s7 += b[1]
                out7 += b[4]
                if b[5] > max7:
                    max7 = b[5]
        if 0 <= known_top - s < 30:
            known += b[3]

    ratio_1d = amount * n1d / s1d if s1d > 0 else 0.0
    ratio_7d = amount * n7 / s7 if s7 > 0 else 0.0
    ratio_30d = amount * n30 / s30 if s30 > 0 else 0.0
    if n30 >= 2:
        mean = s30 / n30
        std = math.sqrt(max(sq30 / n30 - mean * mean, 0.0))
        z30 = (amount - mean) / max(std, 0.1 * mean, 0.01)
    else:
        z30 = 0.0
    since = ts - snap.card_last_ts if snap.card_last_ts is not None else NO_HISTORY_SECS
    secs_of_day = ts % DAY
    weekday = (d + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday

    cp = _risk(snap.cp_d, d, delay_days) if tx.counterparty is not None else _NO_RISK
    co = _risk(snap.country_d, d, delay_days) if tx.country is not None else _NO_RISK
    n1h += 1
    n1d += 1
    n7 += 1
    n30 += 1
    s1h += amount
    s1d += amount
    s7 += amount
    s30 += amount
    return [
        amount, math.log1p(amount), secs_of_day / HOUR, 1.0 if secs_of_day < 6 * HOUR else 0.0,
        1.0 if weekday >= 5 else 0.0,
        n1h, n1d, n7, n30, s1h, s1d, s7, s30, s1d / n1d, s7 / n7, s30 / n30,
        ratio_1d, ratio_7d, ratio_30d, z30,
        v10, math.log1p(max(since, 0)),
        0.0 if tx.counterparty is None or snap.seen_counterparty else 1.0,
        0.0 if tx.device is None or snap.seen_device else 1.0,
        known, out7, out30, max7,
        cp[0], cp[1], cp[2], cp[3], cp[4], cp[5], cp[6], cp[7],
        co[2], co[5], float(channel_code(tx.channel)),
    ]
