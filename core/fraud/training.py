"""Fit the fraud models: a supervised classifier picked by prequential validation, plus an
Isolation Forest for patterns no label has shown yet.

Validation is on the most recent days of the training period (train earlier, validate later, never
a random split); the winner by average precision is then refit on the whole period.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from core.errors import ValidationError
from core.fraud.compiled import compile_anomaly, compile_classifier
from core.fraud.decision import channel_codes
from core.fraud.features import INDEX
from core.fraud.txn import CHANNELS, DAY

ANOMALY_FEATURES = (
    "log_amount", "ratio_usual_30d", "z_30d", "card_n_1h", "card_n_1d", "velocity_10m",
    "log_secs_since_last", "card_max_ratio_7d",
)
ANOMALY_QUANTILE = 0.999  # anomaly scores above this share of normal training traffic count as unusual
MIN_FRAUDS = 5
# Per channel (desk, card, online...), the share of the channel's normal training traffic allowed to reach
# the review threshold: half the 2 % false-positive rate the desks accept, kept as headroom for new traffic.
CHANNEL_FPR_BUDGET = 0.01
MIN_CHANNEL_ROWS = 100  # fewer normal payments than this in a channel: it shares the all-channel ceiling
SELECTION_LEGIT_ROWS = 60_000
# OpenMP (gradient boosting) spins when its threads share busy cores and can run 20x slower; one
# thread is predictable on a shared desk machine. Random forests still use two joblib workers.
OPENMP_THREADS = 1


def _hgb(n: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=100,
        l2_regularization=5.0, max_features=0.5, early_stopping=False, random_state=0,
    )


def _rf(n: int) -> RandomForestClassifier:
    return RandomForestClassifier(
        n_estimators=60, max_depth=14, min_samples_leaf=5, max_samples=min(1.0, 100_000 / max(n, 1)),
        n_jobs=2, random_state=0,
    )


def _logistic(n: int) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=0.1, max_iter=1000))])


CANDIDATES: dict[str, Callable[[int], object]] = {"hgb": _hgb, "rf": _rf, "logistic": _logistic}


@dataclass(frozen=True)
class Trained:
    """Fitted estimators and what the registry records about them."""

    kind: str
    classifier: object | None
    anomaly: IsolationForest | None
    reference: np.ndarray  # typical (median) legitimate feature values, for reasons
    anomaly_floor: float
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    # Per channel code (core.fraud.txn.CHANNELS, then "other"): the classifier probability and the anomaly
    # score that normal traffic of the channel reaches at most, but for CHANNEL_FPR_BUDGET of it (see
    # core.fraud.decision.model_scores). None: one scale for every channel (models trained before them).
    channel_ceiling: np.ndarray | None = None
    channel_floor: np.ndarray | None = None


def check_candidates(candidates: Sequence[str]) -> None:
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown or not candidates:
        raise ValidationError(f"unknown model kinds: {unknown}; choose from {', '.join(sorted(CANDIDATES))}")


def validation_days(span_days: float) -> int:
    """Days at the end of the period held out for model selection."""
    return int(max(1, min(7, round(span_days / 3))))


def train(X: np.ndarray, y: np.ndarray, ts: np.ndarray, *,
          candidates: Sequence[str] = ("hgb", "rf", "logistic")) -> Trained:
    """Fit on rows (features X, labels y, unix times ts). Without enough frauds only the anomaly model."""
    with threadpool_limits(limits=OPENMP_THREADS, user_api="openmp"):
        return _train(X, y, ts, candidates)


def _train(X: np.ndarray, y: np.ndarray, ts: np.ndarray, candidates: Sequence[str]) -> Trained:
    check_candidates(candidates)
    if len(X) == 0:
        raise ValidationError("no transactions to train on")
    y = np.asarray(y, dtype=np.int8)
    metrics: dict[str, float | int | str] = {"n_train": int(len(y)), "n_fraud": int(y.sum())}
    legit = X[y == 0] if (y == 0).any() else X
    reference = np.median(legit, axis=0)
    anomaly, floor = _fit_anomaly(legit)

    channels = channel_codes(X)
    floors = _channel_floors(anomaly, floor, X[y == 0], channels[y == 0]) if anomaly is not None else None
    if y.sum() < MIN_FRAUDS:
        metrics["chosen"] = "none (too few fraud labels)"
        return Trained("anomaly-only", None, anomaly, reference, floor, metrics, None, floors)

    kind = candidates[0]
    if len(candidates) > 1:
        kind = _select(X, y, ts, candidates, metrics)
    model = CANDIDATES[kind](len(y)).fit(X, y)
    metrics["chosen"] = kind
    legit = y == 0
    ceilings = channel_quantiles(compile_classifier(model).predict(X[legit]), channels[legit],
                                 1.0 - CHANNEL_FPR_BUDGET, None)
    for code, name in enumerate((*CHANNELS, "other")):
        if (channels[legit] == code).sum() >= MIN_CHANNEL_ROWS:
            metrics[f"normal_ceiling_{name}"] = round(float(ceilings[code]), 4)
    return Trained(kind, model, anomaly, reference, floor, metrics, ceilings, floors)


def channel_quantiles(values: np.ndarray, channels: np.ndarray, q: float, at_least: float | None) -> np.ndarray:
    """The ``q`` quantile of ``values`` per channel code; channels with fewer than MIN_CHANNEL_ROWS rows
    take the quantile over all rows; never below ``at_least``."""
    overall = float(np.quantile(values, q)) if len(values) else 1.0
    out = np.full(len(CHANNELS) + 1, overall)
    for code in range(len(out)):
        mine = values[channels == code]
        if len(mine) >= MIN_CHANNEL_ROWS:
            out[code] = float(np.quantile(mine, q))
    return np.maximum(out, at_least) if at_least is not None else out


def _channel_floors(anomaly: IsolationForest, floor: float, legit: np.ndarray, channels: np.ndarray) -> np.ndarray:
    """Per channel, the anomaly score normal traffic of the channel stays under (never below the overall floor)."""
    cols = [INDEX[f] for f in ANOMALY_FEATURES]
    rng = np.random.default_rng(1)
    keep = rng.choice(len(legit), size=min(len(legit), 200_000), replace=False)
    scores = compile_anomaly(anomaly).score(legit[keep][:, cols])
    return channel_quantiles(scores, channels[keep], ANOMALY_QUANTILE, floor)


def _select(X: np.ndarray, y: np.ndarray, ts: np.ndarray, candidates: Sequence[str],
            metrics: dict[str, float | int | str]) -> str:
    span = (ts.max() - ts.min()) / DAY
    days = validation_days(span)
    cut = ts.max() - days * DAY
    fit, val = ts < cut, ts >= cut
    metrics["validation_days"] = days
    if y[fit].sum() < MIN_FRAUDS or y[val].sum() < 1:
        return candidates[0]
    fit = np.flatnonzero(fit)
    legit = fit[y[fit] == 0]
    if len(legit) > SELECTION_LEGIT_ROWS:  # the ranking between candidates needs no more (and costs less)
        keep = np.random.default_rng(0).choice(legit, size=SELECTION_LEGIT_ROWS, replace=False)
        fit = np.sort(np.concatenate([fit[y[fit] == 1], keep]))
    best, best_ap = candidates[0], -1.0
    for kind in candidates:
        model = CANDIDATES[kind](len(fit)).fit(X[fit], y[fit])
        ap = float(average_precision_score(y[val], compile_classifier(model).predict(X[val])))
        metrics[f"validation_ap_{kind}"] = round(ap, 4)
        if ap > best_ap:
            best, best_ap = kind, ap
    return best


def _fit_anomaly(legit: np.ndarray) -> tuple[IsolationForest | None, float]:
    if len(legit) < 50:
        return None, 1.0
    cols = [INDEX[f] for f in ANOMALY_FEATURES]
    rng = np.random.default_rng(0)
    sample = legit[rng.choice(len(legit), size=min(len(legit), 50_000), replace=False)][:, cols]
    model = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(sample)
    floor = float(np.quantile(compile_anomaly(model).score(sample), ANOMALY_QUANTILE))
    return model, floor


