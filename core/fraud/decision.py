"""One score in [0, 1] and one decision from the classifier, the anomaly score and the rules."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.fraud import reasons as reasons_mod
from core.fraud import rules
from core.fraud.config import FraudConfig
from core.fraud.features import INDEX
from core.fraud.registry import LoadedModel
from core.fraud.txn import Txn

NO_MODEL = "no fraud model trained yet: rules only"
ANOMALY_ONLY = "no supervised model yet (too few fraud labels): rules and anomaly score only"
NOTHING = "nothing unusual for this card"
_N_1H = INDEX["card_n_1h"]


@dataclass(frozen=True)
class Assessment:
    score: float
    decision: str
    reasons: tuple[str, ...]
    probability: float | None
    anomaly: float | None


def model_scores(model: LoadedModel | None, X: np.ndarray, config: FraudConfig) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(score, classifier probability, anomaly excess) per row, before rules."""
    X = np.asarray(X, dtype=np.float64)
    if model is None:
        return np.zeros(len(X)), None, None
    p = model.classifier.predict(X) if model.classifier is not None else None
    excess = None
    if model.anomaly is not None:
        a = model.anomaly.score(X[:, model.anomaly_columns])
        excess = np.clip((a - model.anomaly_floor) / max(1.0 - model.anomaly_floor, 1e-9), 0.0, 1.0)
    score = p if p is not None else np.zeros(len(X))
    if excess is not None:
        score = np.maximum(score, config.anomaly_weight * excess)
    return score, p, excess


def decide(score: float, config: FraudConfig) -> str:
    if score >= config.decline_threshold:
        return "decline"
    if score >= config.review_threshold:
        return "review"
    return "approve"


def assess(model: LoadedModel | None, config: FraudConfig, tx: Txn, row: list[float], *, amount: int,
           currency: str, exponent: int, explain: bool = True) -> Assessment:
    """Score one payment whose features are ``row`` (``amount`` in minor units, for the rules)."""
    score_arr, p, excess = model_scores(model, np.asarray([row]), config)
    score = float(score_arr[0])
    hits = rules.check(config, counterparty=tx.counterparty, country=tx.country, amount=amount,
                       currency=currency, exponent=exponent, payments_last_hour=int(row[_N_1H]))
    for hit in hits:
        floor = config.decline_threshold if hit.action == "decline" else config.review_threshold
        score = max(score, floor)
    words = [h.reason for h in hits]
    if explain:
        if model is None:
            words.append(NO_MODEL)
        else:
            if model.classifier is None:
                words.append(ANOMALY_ONLY)
            else:
                words += reasons_mod.explain(model.classifier.predict, model.reference, row, tx, currency,
                                             config.max_reasons)
            if excess is not None and excess[0] > 0:
                words.append(f"unusual pattern for this card (anomaly {float(excess[0]):.2f} above normal traffic)")
        if not words:
            words.append(NOTHING)
    return Assessment(
        min(max(score, 0.0), 1.0), decide(score, config), tuple(words),
        float(p[0]) if p is not None else None, float(excess[0]) if excess is not None else None,
    )
