"""Why an alert was raised, as stable keys: the rules that hit and the model's strongest feature groups.

A key names one "rule" an analyst filters the queue by and may suppress for one card or counterparty.
Rule keys come from ``core.fraud.rules`` (``RuleHit.rule``), model keys from ``core.fraud.reasons.GROUPS``,
plus ``anomaly`` (the Isolation Forest's excess) and ``no_model`` (rules-only screening).
"""
from __future__ import annotations

from collections.abc import Mapping

RULES: Mapping[str, str] = {
    "blocked_counterparty": "counterparty on the block list",
    "blocked_country": "country on the block list",
    "amount_limit": "amount over the limit",
    "velocity_limit": "too many payments in an hour",
    "usual_ratio": "amount many times the customer's usual",
    "amount_vs_card": "amount against the customer's normal",
    "large_amount": "large amount",
    "card_outliers": "recent unusually large payments",
    "card_activity": "unusual activity level",
    "velocity": "payments in quick succession",
    "counterparty_risk": "counterparty with confirmed fraud",
    "new_counterparty": "new counterparty",
    "new_device": "new device",
    "known_fraud": "customer with confirmed fraud",
    "time": "unusual time",
    "country": "counterparty country risk",
    "channel": "channel",
    "anomaly": "unusual pattern (anomaly score)",
    "no_model": "rules only (no model yet)",
    "manual": "raised by an analyst",
}
# Block lists and confirmed fraud are deliberate decisions: never snoozed from the queue.
SUPPRESSIBLE: frozenset[str] = frozenset(RULES) - {"blocked_counterparty", "blocked_country", "known_fraud",
                                                   "no_model"}


def title(key: str | None) -> str:
    """The plain words for a rule key (the key itself if unknown)."""
    return RULES.get(key or "", key or "")
