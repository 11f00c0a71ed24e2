"""Drift: the population stability index of every feature and of the score, this week against the last.

PSI above DRIFT_PSI (0.2, the field's "significant shift") becomes a recommendation; the evidence is the
share of payments per bin in both weeks (bins from last week's deciles).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.ai import metrics
from core.ai.dataset import Dataset
from core.fraud.features import FEATURE_NAMES
from core.fraud.txn import DAY

DRIFT_PSI = 0.2
WEEK = 7 * DAY
MIN_ROWS = 50  # fewer payments in a week: no index (too noisy to mean anything)
MAX_CARDS = 5  # the strongest drifts become cards; the rest are in the run's summary


@dataclass(frozen=True)
class Drift:
    name: str  # a feature name, or "score"
    psi: float
    edges: list[float]
    last_week: list[float]  # share per bin
    this_week: list[float]


def weekly(data: Dataset, model_scores: np.ndarray) -> list[Drift]:
    """PSI per feature and for the score, this week vs last week, strongest first (empty if too little data)."""
    end = data.last_ts + 1
    this = (data.ts >= end - WEEK)
    last = (data.ts >= end - 2 * WEEK) & ~this
    if this.sum() < MIN_ROWS or last.sum() < MIN_ROWS:
        return []
    columns = [(name, data.X[:, i]) for i, name in enumerate(FEATURE_NAMES)] + [("score", model_scores)]
    out = []
    for name, values in columns:
        exp, act = values[last], values[this]
        value = metrics.psi(exp, act)
        if value is None:
            continue
        edges = np.unique(np.quantile(exp, np.linspace(0, 1, metrics.PSI_BINS + 1)[1:-1]))
        e = np.bincount(np.searchsorted(edges, exp, side="right"), minlength=len(edges) + 1) / len(exp)
        a = np.bincount(np.searchsorted(edges, act, side="right"), minlength=len(edges) + 1) / len(act)
        out.append(Drift(name, round(value, 4), [float(f"{float(x):.6g}") for x in edges],
                         [round(float(x), 4) for x in e], [round(float(x), 4) for x in a]))
    return sorted(out, key=lambda d: -d.psi)


def significant(drifts: list[Drift]) -> list[Drift]:
    return [d for d in drifts if d.psi > DRIFT_PSI][:MAX_CARDS]
