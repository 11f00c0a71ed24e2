"""Turn a run's findings into recommendation drafts: a title in plain words, the change accepting applies,
and the evidence (figures and chart series) the supervisor sees.

Kinds: ``promote`` (a challenger model), ``threshold`` (the review threshold at analysts' capacity),
``rule`` (a rule with mostly false positives), ``terminal`` (a counterparty's fraud spike: block it),
``drift`` (PSI above 0.2; accepting it starts a retrain, ``AiDesk.accept``). Titles use plain words
(``core.ai.words``). A card whose shadow run shows no measurable change (``ShadowRun.measurable``: alerts and
declines a day, recall in points, all as before) is not made: its title goes to ``held`` (the run's summary
lists them as ``no_measurable_change``) so nobody is asked to accept a change that changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.ai import metrics, shadow, words
from core.ai.capacity import Capacity
from core.ai.dataset import Dataset
from core.ai.drift import Drift
from core.ai.evaluate import Evaluation
from core.ai.rulestats import WINDOW_DAYS, RuleStat, loosened
from core.ai.spikes import BASE_DAYS, Spike
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
    """The title leads with what decides it (``Evaluation.better``): frauds caught within the analysts'
    capacity, then average precision."""
    mine, theirs = ev.challenger, ev.champion
    caught = f"catches {words.percent(mine.recall_at_capacity)} of frauds within analysts' capacity"
    if theirs is None:
        title = (f"promote model v{version} (no model is active): {caught}, average precision "
                 f"{mine.average_precision:.2f} over the last {counted(ev.days, 'day')}")
    else:
        title = (f"promote model v{version}: {caught} vs {words.percent(theirs.recall_at_capacity)} now; average "
                 f"precision {mine.average_precision:.2f} vs {_num(theirs.average_precision)} over the last "
                 f"{counted(ev.days, 'day')}")
    return Draft("promote", f"v{version}", title, {"model": version},
                 {"chart": "pr_curve", "evaluation": ev.to_dict()})


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def threshold(data: Dataset, model_scores: np.ndarray, config: FraudConfig, capacity: Capacity,
              held: list[str] | None = None) -> Draft | None:
    """The review threshold at which the alerts fit the analysts' capacity. Proposed when it catches at least
    as many frauds; one that loses recall only when today's alerts exceed the capacity, framed as meeting
    it and saying how many fewer frauds it catches; never when its shadow run changes nothing."""
    rows = data.since(shadow.SHADOW_DAYS)
    days = min(shadow.SHADOW_DAYS, max(1.0, (data.last_ts - int(data.ts[rows].min())) / 86_400))
    t = metrics.threshold_for_capacity(model_scores[rows], days, capacity.per_day)
    t = round(min(max(t, MIN_REVIEW_THRESHOLD), config.decline_threshold - REVIEW_BAND), 2)
    if abs(t - config.review_threshold) < MIN_THRESHOLD_STEP:
        return None
    proposed = versions.apply(config, {"review_threshold": t})
    run = shadow.run(data, model_scores, config, proposed)
    if not _measurable(run, f"review threshold {config.review_threshold:.2f} → {t:.2f}", held):
        return None
    rc = run.recall_change
    recall = words.recall_change(run.current.recall, run.proposed.recall)
    if rc is not None and rc < 0:
        if run.current.alerts_per_day <= capacity.per_day:
            return None  # it would lose frauds without being needed to meet the capacity
        title = (f"set the review threshold to {t:.2f} to fit analysts' capacity ({capacity.per_day} alerts a day; "
                 f"{run.current.alerts_per_day:g} a day now): {recall}")
    else:
        title = f"set the review threshold to {t:.2f}: {capacity.words()}; {recall}"
    return Draft("threshold", "review_threshold", title, {"settings": {"review_threshold": t}},
                 {"chart": "shadow", "shadow": run.to_dict(), "capacity": capacity.__dict__,
                  "current": config.review_threshold, "proposed": t})


def rule(stat: RuleStat, data: Dataset, model_scores: np.ndarray, config: FraudConfig,
         held: list[str] | None = None) -> Draft | None:
    """Loosen a rule with mostly false positives; None when its shadow run shows no measurable change (the model
    alone already sends the same payments to review: loosening the rule would change nothing)."""
    values = loosened(stat.rule, config)
    if values is None:
        return None
    run = shadow.run(data, model_scores, config, versions.apply(config, values))
    title = f"rule {stat.rule}: {stat.fp_share * 100:.0f} % false positives over {WINDOW_DAYS} days"
    if not _measurable(run, f"{title} ({_describe(values)})", held):
        return None
    return Draft("rule", stat.rule, title, {"settings": values},
                 {"chart": "rule", "decided": stat.decided, "false_positives": stat.false_positives,
                  "daily": stat.daily, "shadow": run.to_dict(), "words": rule_words(stat.rule),
                  "proposal": _describe(values)})


def terminal(spike: Spike, data: Dataset, model_scores: np.ndarray, config: FraudConfig,
             held: list[str] | None = None) -> Draft | None:
    """Block a terminal whose confirmed fraud spiked; None when its shadow run shows no change (the screen
    already stops its payments: blocking would change nothing)."""
    blocked = sorted(set(config.blocked_counterparties) | {spike.counterparty})
    run = shadow.run(data, model_scores, config, versions.apply(config, {"blocked_counterparties": blocked}))
    if not _measurable(run, f"block terminal {spike.counterparty}", held):
        return None
    before = (f"no payments in the {BASE_DAYS} days before" if not spike.base_payments else
              f"{words.percent(spike.base_share)} of {counted(spike.base_payments, 'payment')} in the {BASE_DAYS} "
              "days before")
    title = (f"terminal {spike.counterparty}: risk spike, {spike.frauds} of {counted(spike.payments, 'payment')} "
             f"confirmed fraud this week ({words.percent(spike.share)}); {before}")
    return Draft("terminal", spike.counterparty, title, {"settings": {"blocked_counterparties": blocked}},
                 {"chart": "terminal", "daily": spike.daily, "share": spike.share, "base_share": spike.base_share,
                  "frauds": spike.frauds, "payments": spike.payments, "base_payments": spike.base_payments,
                  "shadow": run.to_dict(),
                  "proposal": f"put {spike.counterparty} on the block list: its payments will be declined from now on"})


def drift(d: Drift) -> Draft:
    name = words.feature(d.name)
    return Draft("drift", d.name, f"drift: {name} shifted this week (shift index {d.psi:.2f}; above 0.2 is a real "
                                  "shift)",
                 {}, {"chart": "drift", "psi": d.psi, "edges": d.edges, "last_week": d.last_week,
                      "this_week": d.this_week, "feature": name, "bins": words.bins(d.name, d.edges),
                      "proposal": "retrain now: a challenger trained on the latest labels learns the new traffic"})


def _measurable(run: shadow.ShadowRun, what: str, held: list[str] | None) -> bool:
    """``run.measurable()``; when not, ``what`` is noted in ``held`` (the run's summary says what it held back)."""
    if run.measurable():
        return True
    if held is not None:
        held.append(f"{what}: {words.shadow(run.to_dict())}")
    return False


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
