"""One score in [0, 1] and one decision from the classifier, the anomaly score and the rules."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.fraud import reasons as reasons_mod
from core.fraud import rules
from core.fraud.config import FraudConfig
from core.fraud.features import INDEX
from core.fraud.registry import LoadedModel
from core.fraud.txn import CHANNELS, Txn

NO_MODEL = "no fraud model trained yet: rules only"
ANOMALY_ONLY = "no supervised model yet (too few fraud labels): rules and anomaly score only"
NOTHING = "nothing unusual for this card"  # card payments; see nothing_unusual()


def nothing_unusual(channel: str) -> str:
    return f"nothing unusual for {reasons_mod.payer(channel)}"


def anomaly_words(channel: str, excess: float) -> str:
    """The anomaly reason; core.cases.reason_keys recognises it by its start, "unusual pattern for "."""
    return f"unusual pattern for {reasons_mod.payer(channel)} (anomaly {excess:.2f} above normal traffic)"
_N_1H, _CHANNEL, _USUAL = INDEX["card_n_1h"], INDEX["channel"], INDEX["ratio_usual_30d"]


@dataclass(frozen=True)
class Assessment:
    score: float
    decision: str
    reasons: tuple[str, ...]
    probability: float | None
    anomaly: float | None


def channel_codes(X: np.ndarray) -> np.ndarray:
    """Each row's channel code (the ``channel`` feature), unknown channels folded into "other"."""
    return np.clip(np.asarray(X)[:, INDEX["channel"]], 0, len(CHANNELS)).astype(np.intp)


def on_channel_scale(p: np.ndarray, ceiling: np.ndarray, review: float) -> np.ndarray:
    """Probabilities ``p`` rescaled per row so that ``ceiling`` (the probability normal traffic of the row's
    channel stays under, but for its false-positive budget) lands on the review threshold.

    Piecewise linear and increasing: [0, ceiling] -> [0, review], [ceiling, 1] -> [review, 1]. Rows whose
    ceiling is already under the review threshold keep their probability (the channel is within budget).
    """
    u = np.minimum(ceiling, 1.0 - 1e-9)
    low = p * review / np.maximum(u, 1e-12)
    high = review + (p - u) * (1.0 - review) / (1.0 - u)
    return np.where(u > review, np.where(p <= u, low, high), p)


def model_scores(model: LoadedModel | None, X: np.ndarray, config: FraudConfig) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(score, classifier probability, anomaly excess) per row, before rules.

    The score is the larger of the probability on its channel's scale (on_channel_scale: a desk transfer
    is judged against normal desk traffic, not against card purchases) and the weighted anomaly excess
    over the channel's own anomaly floor.
    """
    X = np.asarray(X, dtype=np.float64)
    if model is None:
        return np.zeros(len(X)), None, None
    p = model.classifier.predict(X) if model.classifier is not None else None
    channels = channel_codes(X)
    excess = None
    if model.anomaly is not None:
        a = model.anomaly.score(X[:, model.anomaly_columns])
        floor = model.channel_floor[channels] if model.channel_floor is not None else model.anomaly_floor
        excess = np.clip((a - floor) / np.maximum(1.0 - floor, 1e-9), 0.0, 1.0)
    score = p if p is not None else np.zeros(len(X))
    if p is not None and model.channel_ceiling is not None:
        score = on_channel_scale(p, model.channel_ceiling[channels], config.review_threshold)
    if excess is not None:
        score = np.maximum(score, config.anomaly_weight * excess)
    return score, p, excess


def row_scores(model: LoadedModel | None, row: list[float],
               config: FraudConfig) -> tuple[float, float | None, float | None]:
    """``model_scores`` of one row as floats (score, probability, anomaly excess), equal to it bit for bit: the
    posting path scores one payment, where numpy's per-call cost outweighs the arithmetic on one value."""
    if model is None:
        return 0.0, None, None
    x = np.asarray(row, dtype=np.float64)
    code = row[_CHANNEL]
    if code != code:  # NaN: the matrix path's handling
        score, p, excess = model_scores(model, x[None, :], config)
        return float(score[0]), None if p is None else float(p[0]), None if excess is None else float(excess[0])
    channel = int(min(max(code, 0), len(CHANNELS)))  # channel_codes
    p = model.classifier.predict_row(x) if model.classifier is not None else None
    excess = None
    if model.anomaly is not None:
        a = model.anomaly.score_row(x.take(model.anomaly_columns))
        floor = float(model.channel_floor[channel]) if model.channel_floor is not None else model.anomaly_floor
        excess = min(max((a - floor) / max(1.0 - floor, 1e-9), 0.0), 1.0)
    score = p if p is not None else 0.0
    if p is not None and model.channel_ceiling is not None:  # on_channel_scale
        review = config.review_threshold
        u = min(float(model.channel_ceiling[channel]), 1.0 - 1e-9)
        if u > review:
            score = p * review / max(u, 1e-12) if p <= u else review + (p - u) * (1.0 - review) / (1.0 - u)
    if excess is not None:
        score = max(score, config.anomaly_weight * excess)
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
    score, p, excess = row_scores(model, row, config)
    hits = rules.check(config, counterparty=tx.counterparty, country=tx.country, amount=amount,
                       currency=currency, exponent=exponent, payments_last_hour=int(row[_N_1H]), channel=tx.channel,
                       usual_ratio=float(row[_USUAL]))
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
                words += reasons_mod.explain(model.classifier, model.reference, row, tx, currency,
                                             config.max_reasons, rules.said_by(hits))
            if excess is not None and excess > 0:
                words.append(anomaly_words(tx.channel, excess))
        if not words:
            words.append(nothing_unusual(tx.channel))
    return Assessment(
        min(max(score, 0.0), 1.0), decide(score, config), tuple(dict.fromkeys(words)),  # each reason once
        p, excess,
    )
