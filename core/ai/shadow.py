"""Shadow runs: replay the last 30 days of scored traffic under other settings before anyone accepts them.

The payments are the bank's own (core.ai.dataset), scored by the active model exactly as the screen does
(model score, then the rules raise it to the review or decline floor). The result compares alerts a day,
declines a day and recall (labelled frauds the screen would have stopped or sent for review) under the
current settings and the proposed ones. Payments the screen declined never posted, so they are not in the
replay: the figures describe the traffic that reached the ledger.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.ai.dataset import Dataset
from core.fraud import rules
from core.fraud.config import FraudConfig
from core.fraud.features import INDEX
from core.fraud.txn import DAY
from core.ledger.money import exponent
from core.words import counted

SHADOW_DAYS = 30
_N_1H = INDEX["card_n_1h"]


@dataclass(frozen=True)
class Decisions:
    alerts_per_day: float
    declines_per_day: float
    recall: float | None  # share of labelled frauds reviewed or declined
    daily_alerts: list[int]


@dataclass(frozen=True)
class ShadowRun:
    days: int
    payments: int
    frauds: int
    current: Decisions
    proposed: Decisions
    day_starts: list[int]  # unix seconds of each day in the window

    @property
    def alerts_change(self) -> float:
        return round(self.proposed.alerts_per_day - self.current.alerts_per_day, 1)

    @property
    def recall_change(self) -> float | None:
        if self.current.recall is None or self.proposed.recall is None:
            return None
        return round(self.proposed.recall - self.current.recall, 4)

    def changes_anything(self) -> bool:
        """Whether the proposed settings would have decided any payment differently in the replay."""
        c, p = self.current, self.proposed
        return (c.alerts_per_day, c.declines_per_day, c.recall, c.daily_alerts) != (
            p.alerts_per_day, p.declines_per_day, p.recall, p.daily_alerts)

    def measurable(self) -> bool:
        """Whether the change shows in the figures a supervisor reads (``core.ai.words.shadow``): alerts or
        declines a day (to 0.1) or recall (whole percentage points). A card whose change is not measurable here
        is not proposed (``core.ai.drafts``): accepting it would change nothing anyone could see or check."""
        c, p = self.current, self.proposed
        if (c.alerts_per_day, c.declines_per_day) != (p.alerts_per_day, p.declines_per_day):
            return True
        if c.recall is None or p.recall is None:
            return False
        return round(c.recall * 100) != round(p.recall * 100) or round((p.recall - c.recall) * 100) != 0

    def to_dict(self) -> dict:
        return {**asdict(self), "alerts_change": self.alerts_change, "recall_change": self.recall_change}

    def words(self) -> str:
        rc = self.recall_change
        recall = "" if rc is None else f", recall {self.current.recall:.0%} → {self.proposed.recall:.0%}"
        return (f"shadow run over {counted(self.days, 'day')}: alerts a day {self.current.alerts_per_day:.1f} → "
                f"{self.proposed.alerts_per_day:.1f}{recall}")


def final_scores(data: Dataset, rows: np.ndarray, model_scores: np.ndarray, config: FraudConfig) -> np.ndarray:
    """The screen's score for ``rows`` (indices): the model's, raised by the rules' floors."""
    out = np.array(model_scores, dtype=np.float64, copy=True)
    for j, i in enumerate(rows):
        tx = data.txns[i]
        hits = rules.check(config, counterparty=tx.counterparty, country=tx.country, amount=int(data.amount_minor[i]),
                           currency=str(data.currency[i]), exponent=exponent(str(data.currency[i])),
                           payments_last_hour=int(data.X[i, _N_1H]), channel=tx.channel,
                           usual_ratio=float(data.X[i, INDEX["ratio_usual_30d"]]))
        for hit in hits:
            floor = config.decline_threshold if hit.action == "decline" else config.review_threshold
            out[j] = max(out[j], floor)
    return np.clip(out, 0.0, 1.0)


def decisions(data: Dataset, rows: np.ndarray, model_scores: np.ndarray, config: FraudConfig,
              day_index: np.ndarray, n_days: int) -> Decisions:
    s = final_scores(data, rows, model_scores, config)
    review = (s >= config.review_threshold) & (s < config.decline_threshold)
    decline = s >= config.decline_threshold
    y = data.y[rows]
    frauds = int(y.sum())
    recall = None if frauds == 0 else float(np.sum((review | decline) & (y == 1)) / frauds)
    daily = np.bincount(day_index[review], minlength=n_days).tolist()
    return Decisions(round(float(review.sum()) / n_days, 1), round(float(decline.sum()) / n_days, 1),
                     None if recall is None else round(recall, 4), [int(v) for v in daily])


def run(data: Dataset, model_scores_all: np.ndarray, current: FraudConfig, proposed: FraudConfig,
        days: int = SHADOW_DAYS) -> ShadowRun:
    """Compare ``current`` and ``proposed`` on the last ``days`` days (``model_scores_all``: per row of data)."""
    rows = np.flatnonzero(data.since(days))
    first_day = int(data.last_ts // DAY) - days + 1
    day_index = np.clip(data.day[rows] - first_day, 0, days - 1)
    ms = model_scores_all[rows]
    return ShadowRun(days, len(rows), int(data.y[rows].sum()),
                     decisions(data, rows, ms, current, day_index, days),
                     decisions(data, rows, ms, proposed, day_index, days),
                     [int((first_day + k) * DAY) for k in range(days)])
