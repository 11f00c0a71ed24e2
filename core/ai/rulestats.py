"""How the tunable rules fared with the analysts: false positives among decided alerts, last 30 days.

A rule whose alerts were false positives at least FP_SHARE of the time (over MIN_DECIDED or more decided
alerts) gets a proposal to loosen it: the velocity limit doubled, an amount limit doubled. A shadow run
shows what the proposal would have done before anyone accepts it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from core.fraud.config import FraudConfig
from core.persistence.models.fraud import FraudAlert

WINDOW_DAYS = 30
FP_SHARE = 0.8
MIN_DECIDED = 10
TUNABLE_RULES = ("velocity_limit", "amount_limit")
_AL = FraudAlert.__table__.c


@dataclass(frozen=True)
class RuleStat:
    rule: str
    decided: int
    false_positives: int
    daily: list[tuple[str, int, int]]  # (YYYY-MM-DD, confirmed, false positives)

    @property
    def fp_share(self) -> float:
        return self.false_positives / self.decided if self.decided else 0.0


def collect(conn: Connection, now: datetime) -> list[RuleStat]:
    since = now - timedelta(days=WINDOW_DAYS)
    q = select(_AL.rules, _AL.outcome, _AL.closed_at).where(
        _AL.closed_at >= since, _AL.outcome.in_(("TRUE_POSITIVE", "FALSE_POSITIVE")))
    per: dict[str, dict[str, list[int]]] = {r: {} for r in TUNABLE_RULES}
    for rules_json, outcome, closed in conn.execute(q):
        try:
            keys = set(json.loads(rules_json or "[]"))
        except ValueError:
            continue
        for rule in TUNABLE_RULES:
            if rule in keys:
                day = per[rule].setdefault(f"{closed:%Y-%m-%d}", [0, 0])
                day[0 if outcome == "TRUE_POSITIVE" else 1] += 1
    out = []
    for rule, days in per.items():
        tp = sum(v[0] for v in days.values())
        fp = sum(v[1] for v in days.values())
        if tp + fp:
            out.append(RuleStat(rule, tp + fp, fp, [(d, v[0], v[1]) for d, v in sorted(days.items())]))
    return out


def noisy(stats: list[RuleStat]) -> list[RuleStat]:
    return [s for s in stats if s.decided >= MIN_DECIDED and s.fp_share >= FP_SHARE]


def loosened(rule: str, config: FraudConfig) -> dict | None:
    """The settings change proposed for a noisy ``rule`` (None when the rule is off already)."""
    if rule == "velocity_limit":
        if config.velocity_limit_1h is None:
            return None
        return {"velocity_limit_1h": int(config.velocity_limit_1h) * 2}
    if rule == "amount_limit":
        if not config.amount_limits:
            return None
        return {"amount_limits": {c: int(v) * 2 for c, v in config.amount_limits.items()}}
    return None
