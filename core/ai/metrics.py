"""The field's measures of a fraud model, on aligned arrays (scores in [0, 1], labels 0/1, days, cards).

- average precision: sklearn's step-wise area under the precision-recall curve;
- card precision@k (Fraud Detection Handbook, ch. 4): per day, rank cards by their highest score, take the
  top k, count the cards that really had fraud, divide by k; averaged over days;
- recall at capacity: per day the analysts clear ``capacity`` alerts, the highest scores first; the share
  of all frauds that land in those alerts;
- false-positive rate per channel at a threshold: genuine payments scored at or above it / genuine payments;
- PSI (population stability index): sum over bins of (a - e) * ln(a / e), bins from the expected sample's
  deciles; 0.1 to 0.2 a moderate shift, above 0.2 a significant one (Siddiqi, Credit Risk Scorecards).
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

PSI_BINS = 10
PSI_FLOOR = 1e-4  # an empty bin counts as this share (the index is undefined at 0)


def average_precision(y: np.ndarray, s: np.ndarray) -> float | None:
    """None when there is no fraud (the measure is undefined)."""
    y = np.asarray(y)
    if len(y) == 0 or y.sum() == 0:
        return None
    return float(average_precision_score(y, s))


def card_precision_at_k(y: np.ndarray, s: np.ndarray, day: np.ndarray, card: np.ndarray, k: int) -> float | None:
    if len(y) == 0 or k <= 0:
        return None
    values = []
    for d in np.unique(day):
        rows = day == d
        best: dict[str, tuple[float, int]] = {}
        for c, sc, f in zip(card[rows], s[rows], y[rows]):
            old = best.get(c)
            best[c] = (max(sc, old[0]) if old else sc, max(f, old[1]) if old else f)
        ranked = sorted(best.values(), key=lambda v: -v[0])[:k]
        values.append(sum(f for _s, f in ranked) / k)
    return float(np.mean(values))


def recall_at_capacity(y: np.ndarray, s: np.ndarray, day: np.ndarray, capacity: int) -> float | None:
    """Share of frauds among each day's ``capacity`` highest-scored payments (None without fraud)."""
    total = int(np.sum(y))
    if total == 0:
        return None
    caught = 0
    for d in np.unique(day):
        rows = np.flatnonzero(day == d)
        top = rows[np.argsort(-s[rows], kind="stable")[:capacity]]
        caught += int(np.sum(y[top]))
    return caught / total


def recall_at(y: np.ndarray, s: np.ndarray, threshold: float) -> float | None:
    total = int(np.sum(y))
    return None if total == 0 else float(np.sum((s >= threshold) & (y == 1)) / total)


def fpr_by_channel(y: np.ndarray, s: np.ndarray, channel: np.ndarray, threshold: float) -> dict[str, float]:
    out = {}
    for ch in sorted(set(channel.tolist())):
        genuine = (channel == ch) & (y == 0)
        n = int(genuine.sum())
        if n:
            out[ch] = round(float(np.sum(s[genuine] >= threshold) / n), 4)
    return out


def threshold_for_capacity(s: np.ndarray, days: float, capacity: int) -> float:
    """The lowest threshold at which the scores give at most ``capacity`` alerts a day on average."""
    allowed = int(capacity * max(days, 1.0))
    if allowed <= 0 or len(s) == 0:
        return 1.0
    if allowed >= len(s):
        return float(np.min(s))
    ranked = np.sort(s)[::-1]
    t = float(ranked[allowed - 1])
    # ties at the cut would let more through: step just above them
    return t if np.sum(s >= t) <= allowed else float(np.nextafter(t, 1.0))


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = PSI_BINS) -> float | None:
    """PSI of ``actual`` against ``expected`` (None when either sample is empty)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if len(expected) == 0 or len(actual) == 0:
        return None
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.maximum(e, PSI_FLOOR), np.maximum(a, PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))
