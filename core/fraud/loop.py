"""The self-improving loop's steps as pure functions over arrays (no database, no clock, no threads).

A bank learns a payment's truth late: a chargeback or a closed investigation labels it about
``delay_days`` after it happened, and analysts label the alerts they clear at once (their capacity:
``capacity`` alerts a day, highest score first). At any time ``now`` the loop may train only on the
labels known by then, and is judged on the payments that come next. Arrays are aligned row by row:
features ``X`` (core.fraud.features), labels ``y`` (1 = fraud), unix times ``ts`` (seconds, UTC).

Used by benchmarks/self_improving.py (replay of the Fraud Detection Handbook data week by week);
core.ai can call the same steps on the bank's own history (``known_labels`` -> ``training_rows`` ->
``fit`` -> ``evaluate``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.fraud.txn import DAY

Scorer = Callable[[np.ndarray], np.ndarray]
Fit = Callable[[np.ndarray, np.ndarray, np.ndarray], Scorer]


def known_labels(ts: np.ndarray, now: int, *, delay_days: int, reviewed: np.ndarray | None = None) -> np.ndarray:
    """Rows whose label is known at ``now``: paid at least ``delay_days`` before it, or reviewed by an
    analyst (``reviewed``: boolean per row) and paid before it."""
    known = ts < now - delay_days * DAY
    if reviewed is not None:
        known |= reviewed & (ts < now)
    return known


def daily_alerts(scores: np.ndarray, ts: np.ndarray, capacity: int, *, exclude: np.ndarray | None = None) -> np.ndarray:
    """The analysts' day: per UTC day, the ``capacity`` highest-scored rows (not in ``exclude``) — the
    alerts they clear and label at once. Boolean per row."""
    out = np.zeros(len(ts), dtype=bool)
    days = ts // DAY
    candidates = np.ones(len(ts), dtype=bool) if exclude is None else ~exclude
    for day in np.unique(days):
        rows = np.flatnonzero((days == day) & candidates)
        if len(rows):
            out[rows[np.argsort(-scores[rows], kind="stable")[:capacity]]] = True
    return out


def training_rows(ts: np.ndarray, known: np.ndarray, now: int, *, window_days: int | None = None,
                  start: int | None = None) -> np.ndarray:
    """Rows to fit on at ``now``: labels known, paid before ``now`` (and after ``start``), within the last
    ``window_days`` if given."""
    rows = known & (ts < now)
    if start is not None:
        rows &= ts >= start
    if window_days is not None:
        rows &= ts >= now - window_days * DAY
    return rows


def balanced(rows: np.ndarray, y: np.ndarray, max_legit: int, seed: int = 0) -> np.ndarray:
    """``rows`` (boolean) with at most ``max_legit`` legitimate rows kept at random (every fraud kept):
    the training cost stays bounded as labels accumulate; rankings (average precision) are unaffected
    by the changed base rate."""
    idx = np.flatnonzero(rows)
    legit = idx[y[idx] == 0]
    if len(legit) <= max_legit:
        return rows
    keep = np.random.default_rng(seed).choice(legit, size=max_legit, replace=False)
    out = np.zeros(len(rows), dtype=bool)
    out[idx[y[idx] == 1]] = True
    out[keep] = True
    return out


def fit_classifier(kind: str = "rf") -> Fit:
    """A Fit for one of core.fraud.training.CANDIDATES, scoring with the engine's compiled scorer (without
    both classes among the labels, every payment scores 0: nothing to learn from yet)."""
    from threadpoolctl import threadpool_limits  # scikit-learn loads only when a loop runs

    from core.fraud.compiled import compile_classifier
    from core.fraud.training import CANDIDATES, OPENMP_THREADS

    def fit(X: np.ndarray, y: np.ndarray, ts: np.ndarray) -> Scorer:
        if len(np.unique(y)) < 2:
            return lambda rows: np.zeros(len(rows))
        with threadpool_limits(limits=OPENMP_THREADS, user_api="openmp"):
            model = CANDIDATES[kind](len(y)).fit(X, y)
        return compile_classifier(model).predict
    return fit


def average_precision(y: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision, or None when there is no fraud to find."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, scores)) if y.any() else None


def channel_rates(X: np.ndarray, y: np.ndarray, flagged: np.ndarray) -> dict[str, dict[str, float | int]]:
    """Per channel present in ``X``: normal (legitimate) payments, the false-positive rate (share of them
    ``flagged``: held for review or declined), frauds and the detection rate (share of them flagged).
    Rates are absent when a channel has no payment of that kind."""
    from core.fraud.decision import channel_codes
    from core.fraud.txn import CHANNELS

    codes = channel_codes(X)
    names = (*CHANNELS, "other")
    out: dict[str, dict[str, float | int]] = {}
    for code in np.unique(codes):
        mine = codes == code
        normal, fraud = mine & (y == 0), mine & (y == 1)
        entry: dict[str, float | int] = {"normal": int(normal.sum()), "frauds": int(fraud.sum())}
        if normal.any():
            entry["false_positive_rate"] = float(flagged[normal].mean())
        if fraud.any():
            entry["detection_rate"] = float(flagged[fraud].mean())
        out[names[int(code)]] = entry
    return out


@dataclass(frozen=True)
class Week:
    """One replayed week: its payments and frauds, and the average precision of each model on it."""

    start: int
    payments: int
    frauds: int
    labels_known: int  # labels the loop trained on for this week
    reviewed: int  # of them, alerts the analysts labelled before their delay
    ap_static: float | None
    ap_loop: float | None


@dataclass(frozen=True)
class Replay:
    weeks: list[Week]
    ap_static: float | None  # over every replayed payment
    ap_loop: float | None


def replay_weeks(X: np.ndarray, y: np.ndarray, ts: np.ndarray, *, start: int, weeks: int, delay_days: int,
                 capacity: int, fit: Fit, history_start: int | None = None, max_legit: int = 100_000,
                 window_days: int | None = None, progress: Callable[[int, Week], None] | None = None) -> Replay:
    """Replay ``weeks`` weeks from ``start``: a static model fitted once on the labels known at ``start``
    against the loop, refitted at the start of every week on the labels known then (delayed labels plus
    the alerts its analysts cleared each day, ``capacity`` a day, picked by the loop's own scores).

    Rows must be in time order. Features may use labels only through delay-shifted windows (as
    core.fraud.replay computes them), so scoring a week never sees that week's labels.
    """
    reviewed = np.zeros(len(ts), dtype=bool)
    first = training_rows(ts, known_labels(ts, start, delay_days=delay_days), start, window_days=window_days,
                          start=history_start)
    first = balanced(first, y, max_legit)
    static = fit(X[first], y[first], ts[first])
    static_all = np.full(len(ts), np.nan)
    loop_all = np.full(len(ts), np.nan)
    out: list[Week] = []
    for k in range(weeks):
        begin, end = start + k * 7 * DAY, start + (k + 1) * 7 * DAY
        rows = np.flatnonzero((ts >= begin) & (ts < end))
        if not len(rows):
            break
        known = known_labels(ts, begin, delay_days=delay_days, reviewed=reviewed)
        train = training_rows(ts, known, begin, window_days=window_days, start=history_start)
        n_known, n_reviewed = int(train.sum()), int((train & reviewed & (ts >= begin - delay_days * DAY)).sum())
        if k == 0:
            loop = static
        else:
            fit_rows = balanced(train, y, max_legit, seed=k)
            loop = fit(X[fit_rows], y[fit_rows], ts[fit_rows])
        static_all[rows] = static(X[rows])
        loop_all[rows] = loop(X[rows])
        reviewed[rows] |= daily_alerts(loop_all[rows], ts[rows], capacity)
        week = Week(begin, len(rows), int(y[rows].sum()), n_known, n_reviewed,
                    average_precision(y[rows], static_all[rows]), average_precision(y[rows], loop_all[rows]))
        out.append(week)
        if progress is not None:
            progress(k, week)
    done = ~np.isnan(loop_all)
    return Replay(out, average_precision(y[done], static_all[done]), average_precision(y[done], loop_all[done]))


def beats(replay: Replay) -> tuple[int, int]:
    """(weeks the loop's average precision is higher than the static model's, weeks compared)."""
    pairs = [(w.ap_loop, w.ap_static) for w in replay.weeks if w.ap_loop is not None and w.ap_static is not None]
    return sum(a > b for a, b in pairs), len(pairs)


def weeks_table(replay: Replay) -> Sequence[str]:
    """The replay as text lines: one per week, then the overall figures."""
    from datetime import datetime, timezone

    lines = [f"{'week of':10} {'payments':>9} {'frauds':>7} {'labels':>8} {'reviewed':>9} {'static AP':>10} {'loop AP':>8}"]
    for w in replay.weeks:
        day = datetime.fromtimestamp(w.start, timezone.utc).strftime("%Y-%m-%d")
        fmt = lambda v: f"{v:.3f}" if v is not None else "-"  # noqa: E731
        lines.append(f"{day:10} {w.payments:9,} {w.frauds:7,} {w.labels_known:8,} {w.reviewed:9,} "
                     f"{fmt(w.ap_static):>10} {fmt(w.ap_loop):>8}")
    won, of = beats(replay)
    lines.append(f"overall: static AP {replay.ap_static:.3f}, loop AP {replay.ap_loop:.3f}; "
                 f"the loop is ahead in {won} of {of} weeks")
    return lines
