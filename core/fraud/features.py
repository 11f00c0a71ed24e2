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
    "ratio_usual_30d", "card_outliers_7d", "card_outliers_30d", "card_max_ratio_7d",
    "cp_n_1d", "cp_n_7d", "cp_n_30d", "cp_risk_1d", "cp_risk_7d", "cp_risk_30d",
    "cp_first_fraud_age", "cp_last_fraud_age", "cp_streak_fraud_share", "cp_n_after_last_fraud",
    "cp_run_age", "cp_run_gap_days", "cp_run_max_age", "cp_run_frauds", "cp_run_avg_amount", "cp_run_amount_ratio",
    "cp_fraud_day_avg_amount", "cp_fraud_day_amount_ratio", "cp_run_max_card_ratio", "cp_fraud_day_max_card_ratio",
    "country_n_30d", "country_risk_30d", "channel",
)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_USUAL, _N30 = INDEX["ratio_usual_30d"], INDEX["card_n_30d"]
NO_HISTORY_SECS = 90 * DAY
NO_FRAUD_AGE = 99.0
OUTLIER_RATIO = 2.5  # a payment this many times the card's usual 30-day average counts as an outlier
OUTLIER_MIN_HISTORY = 5


@dataclass(slots=True)
class Snapshot:
    """The state a transaction's features read.

    Bins are [count, sum, sum of squares, frauds, outliers, sum of outliers, largest outlier ratio]
    (sub-day bins use the first two). Whole past days come pre-aggregated (``card_past``, ``cp``,
    ``country``: see card_past() and risk()); they change only when the day turns or a label lands,
    which lets the in-memory store reuse them within a day.
    """

    card_q: dict[int, list[float]]
    card_h: dict[int, list[float]]
    card_today: list[float] | None
    card_past: tuple[float, ...]
    cp: tuple[float, ...]
    country: tuple[float, ...]
    card_last_ts: int | None
    seen_counterparty: bool
    seen_device: bool


def card_past(bins: dict[int, list[float]], d: int, delay: int) -> tuple[float, ...]:
    """The card's whole past days: count and sum over days d-6..d-1, count, sum and sum of squares
    over d-29..d-1, outliers over both (and their sum over 30), the largest outlier ratio over 7,
    and the frauds labelled on days [d-delay-30, d-delay-1]."""
    n7 = s7 = n30 = s30 = sq30 = known = out7 = out30 = outsum30 = max7 = 0.0
    known_top = d - delay - 1
    for s, b in bins.items():
        age = d - s
        if 0 < age < 30:
            n30 += b[0]
            s30 += b[1]
            sq30 += b[2]
            out30 += b[4]
            outsum30 += b[5]
            if age < 7:
                n7 += b[0]
                s7 += b[1]
                out7 += b[4]
                if b[6] > max7:
                    max7 = b[6]
        if 0 <= known_top - s < 30:
            known += b[3]
    return (n7, s7, n30, s30, sq30, out7, out30, outsum30, max7, known)


def risk(bins: dict[int, list[float]], d: int, delay: int) -> tuple[float, ...]:
    """Over whole days [d-delay-w, d-delay-1] for w = 1, 7, 30: counts and fraud shares; the age in
    days (from ``d``) of the oldest and newest known fraud; the fraud share since the oldest known
    fraud (a streak: a compromised terminal) and the count of transactions after the newest; then
    the latest run of fraud days (see fraud_run)."""
    top = d - delay - 1
    n1 = f1 = n7 = f7 = n30 = f30 = t30 = 0.0
    first = last = -1
    items = bins.items()
    for s, b in items:
        age = top - s
        if 0 <= age < 30:
            n30 += b[0]
            f30 += b[3]
            t30 += b[1]
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
    shares = (f1 / n1 if n1 else 0.0, f7 / n7 if n7 else 0.0, f30 / n30 if n30 else 0.0)
    if first < 0:
        return (n1, n7, n30, *shares, NO_FRAUD_AGE, NO_FRAUD_AGE, 0.0, 0.0, *NO_RUN)
    streak_n = streak_f = after = 0.0
    for s, b in items:
        if first <= s <= top:
            streak_n += b[0]
            streak_f += b[3]
            if s > last:
                after += b[0]
    return (n1, n7, n30, *shares, float(d - first), float(d - last), streak_f / streak_n if streak_n else 0.0, after,
            *fraud_run(bins, d, top, last, t30 / n30 if n30 else 0.0))


NO_RUN = (NO_FRAUD_AGE, NO_FRAUD_AGE, NO_FRAUD_AGE, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def fraud_run(bins: dict[int, list[float]], d: int, top: int, last: int, avg: float) -> tuple[float, ...]:
    """The counterparty's latest run of fraud days, from its daily bins (count, amount, known frauds, largest
    ratio_usual_30d of the day's payments).

    Walking back from the newest day with a known fraud (``last``) over days [top-29, top] that had payments,
    the run holds the days on which every payment was a fraud (a compromised terminal takes every payment for
    weeks; a single large-amount or stolen-card fraud is one payment among legitimate ones). If the newest
    fraud day also had legitimate payments, the run is that day alone. Returns: the age in days (from ``d``)
    of the run's first day; days between it and the newest earlier day with a legitimate payment (the run may
    have begun on any day between; the window's start if none; 0 for a mixed day), and so the age of the
    earliest day it may have begun on; fraud payments in the run; their average amount, and that against the
    counterparty's 30-day average amount ``avg``, over the run's all-fraud days; the same average and ratio
    over every all-fraud day of the window (0 when no such day); the largest ratio_usual_30d (a payment
    against its own card's usual amount) over the run's all-fraud days and over every all-fraud day: a
    stolen card's fraud is unusual for its card, a compromised terminal's are its cards' ordinary payments.
    """
    days = sorted(s for s, b in bins.items() if 0 <= top - s < 30 and b[0] > 0)
    full_n = full_t = full_r = 0.0
    for s in days:
        b = bins[s]
        if b[3] >= b[0]:
            full_n += b[0]
            full_t += b[1]
            full_r = max(full_r, b[6])
    start, run_n, run_t, run_r, legit_day = last, 0.0, 0.0, 0.0, top - 30
    for s in reversed(days):
        if s > last:
            continue
        b = bins[s]
        if b[3] >= b[0]:
            start, run_n, run_t, run_r = s, run_n + b[0], run_t + b[1], max(run_r, b[6])
            continue
        if run_n == 0 and s == last:
            start, run_n = s, b[3]
        legit_day = s
        break
    run_avg = run_t / run_n if run_n and run_t else 0.0
    full_avg = full_t / full_n if full_n else 0.0
    return (float(d - start), float(start - legit_day), float(max(d - legit_day - 1, d - start)), run_n, run_avg,
            run_avg / avg if avg else 0.0, full_avg, full_avg / avg if avg else 0.0, run_r, full_r)


NO_RISK = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, NO_FRAUD_AGE, NO_FRAUD_AGE, 0.0, 0.0, *NO_RUN)


def is_outlier(row: list[float]) -> bool:
    """Whether a scored payment counts as an outlier in its card's later features."""
    return row[_USUAL] >= OUTLIER_RATIO and row[_N30] > OUTLIER_MIN_HISTORY


def snapshot(card_q: dict, card_h: dict, card_d: dict, cp_d: dict, country_d: dict, last_ts: int | None,
             seen_counterparty: bool, seen_device: bool, tx: Txn, delay_days: int) -> Snapshot:
    """A Snapshot from raw bins (the database store's path; the memory store caches the day parts)."""
    d = tx.ts // DAY
    return Snapshot(card_q, card_h, card_d.get(d), card_past(card_d, d, delay_days),
                    risk(cp_d, d, delay_days) if tx.counterparty is not None else NO_RISK,
                    risk(country_d, d, delay_days) if tx.country is not None else NO_RISK,
                    last_ts, seen_counterparty, seen_device)


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
    n7, s7, n30, s30, sq30, out7, out30, outsum30, max7, known = snap.card_past
    b = snap.card_today
    if b is not None:
        n7 += b[0]
        s7 += b[1]
        n30 += b[0]
        s30 += b[1]
        sq30 += b[2]
        out7 += b[4]
        out30 += b[4]
        outsum30 += b[5]
        if b[6] > max7:
            max7 = b[6]

    ratio_1d = amount * n1d / s1d if s1d > 0 else 0.0
    ratio_7d = amount * n7 / s7 if s7 > 0 else 0.0
    ratio_30d = amount * n30 / s30 if s30 > 0 else 0.0
    usual_sum = s30 - outsum30
    ratio_usual = amount * (n30 - out30) / usual_sum if usual_sum > 0 else 0.0
    if n30 >= 2:
        mean = s30 / n30
        std = math.sqrt(max(sq30 / n30 - mean * mean, 0.0))
        z30 = (amount - mean) / max(std, 0.1 * mean, 0.01)
    else:
        z30 = 0.0
    since = ts - snap.card_last_ts if snap.card_last_ts is not None else NO_HISTORY_SECS
    secs_of_day = ts % DAY
    weekday = (d + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
    cp, co = snap.cp, snap.country
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
        known, ratio_usual, out7, out30, max7,
        *cp[:20],
        co[2], co[5], float(channel_code(tx.channel)),
    ]
