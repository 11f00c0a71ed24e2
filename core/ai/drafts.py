"""Turn a run's findings into recommendation drafts: a title in plain words, the change accepting applies,
and the evidence (figures and chart series) the supervisor sees.

Kinds: ``promote`` (a challenger model), ``threshold`` (the review threshold at analysts' capacity),
``rule`` (a rule with mostly false positives), ``terminal`` (a counterparty's fraud spike: block it),
``drift`` (PSI above 0.2; accepting it starts a retrain, ``AiDesk.accept``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.ai import metrics, shadow
from core.ai.capacity import Capacity
from core.ai.dataset import Dataset
from core.ai.drift import Drift
from core.ai.evaluate import Evaluation
from core.ai.rulestats import WINDOW_DAYS, RuleStat, loosened
from core.ai.spikes import Spike
from core.fraud import versions
from core.fraud.config import FraudConfig
from core.fraud.rules import _major
from core.ledger.money import exponent
from core.cases.rules import title as rule_words
from core.words import counted

MIN_THRESHOLD_STEP = 0.02
MIN_REVIEW_THRESHOLD = 0.05
REVIEW_BAND = 0.05  # the review threshold stays at least this far below the decline threshold


@dataclass(frozen=True)
class Draft:
    kind: str
    subject: str
    title: str
    change: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)


def promote(ev: Evaluation, version: int) -> Draft:
    theirs = ev.champion.average_precision if ev.champion else None
    vs = f" vs {theirs:.2f}" if theirs is not None else " (no model is active)"
    title = (f"promote model v{version}: average precision {ev.challenger.average_precision:.2f}{vs} "
             f"over the last {counted(ev.days, 'day')}")
    return Draft("promote", f"v{version}", title, {"model": version},
                 {"chart": "pr_curve", "evaluation": ev.to_dict()})


def threshold(data: Dataset, model_scores: np.ndarray, config: FraudConfig, capacity: Capacity) -> Draft | None:
    rows = data.since(shadow.SHADOW_DAYS)
    days = min(shadow.SHADOW_DAYS, max(1.0, (data.last_ts - int(data.ts[rows].min())) / 86_400))
    t = metrics.threshold_for_capacity(model_scores[rows], days, capacity.per_day)
    t = round(min(max(t, MIN_REVIEW_THRESHOLD), config.decline_threshold - REVIEW_BAND), 2)
    if abs(t - config.review_threshold) < MIN_THRESHOLD_STEP:
        return None
    proposed = versions.apply(config, {"review_threshold": t})
    run = shadow.run(data, model_scores, config, proposed)
    rc = run.recall_change
    recall = f"; expected recall {rc * 100:+.0f} %" if rc is not None else ""
    title = f"set the review threshold to {t:.2f}: {capacity.words()}{recall}"
    return Draft("threshold", "review_threshold", title, {"settings": {"review_threshold": t}},
                 {"chart": "shadow", "shadow": run.to_dict(), "capacity": capacity.__dict__,
                  "current": config.review_threshold, "proposed": t})


def rule(stat: RuleStat, data: Dataset, model_scores: np.ndarray, config: FraudConfig) -> Draft | None:
    values = loosened(stat.rule, config)
    if values is None:
        return None
    run = shadow.run(data, model_scores, config, versions.apply(config, values))
    title = f"rule {stat.rule}: {stat.fp_share * 100:.0f} % false positives over {WINDOW_DAYS} days"
    return Draft("rule", stat.rule, title, {"settings": values},
                 {"chart": "rule", "decided": stat.decided, "false_positives": stat.false_positives,
                  "daily": stat.daily, "shadow": run.to_dict(), "words": rule_words(stat.rule),
                  "proposal": _describe(values)})


def terminal(spike: Spike, data: Dataset, model_scores: np.ndarray, config: FraudConfig) -> Draft:
    blocked = sorted(set(config.blocked_counterparties) | {spike.counterparty})
    run = shadow.run(data, model_scores, config, versions.apply(config, {"blocked_counterparties": blocked}))
    title = (f"terminal {spike.counterparty}: risk spike ({spike.frauds} of {counted(spike.payments, 'payment')} "
             "confirmed "
             f"fraud this week, {spike.base_share * 100:.0f} % before)")
    return Draft("terminal", spike.counterparty, title, {"settings": {"blocked_counterparties": blocked}},
                 {"chart": "terminal", "daily": spike.daily, "share": spike.share, "base_share": spike.base_share,
                  "shadow": run.to_dict(), "proposal": f"put {spike.counterparty} on the block list (declined)"})


def drift(d: Drift) -> Draft:
    return Draft("drift", d.name, f"drift on {d.name}: PSI {d.psi:.2f}", {},
                 {"chart": "drift", "psi": d.psi, "edges": d.edges, "last_week": d.last_week,
                  "this_week": d.this_week,
                  "proposal": "retrain now: a challenger trained on the latest labels learns the new traffic"})


def _describe(values: dict) -> str:
    parts = []
    for key, value in values.items():
        if key == "velocity_limit_1h":
            parts.append(f"allow {counted(value, 'payment')} an hour per customer before review")
        elif key == "amount_limits":
            parts.append("raise the amount limits to " + ", ".join(f"{_major(v, exponent(c))} {c}" for c, v in value.items()))
        else:
            parts.append(f"{key} = {value}")
    return "; ".join(parts)
