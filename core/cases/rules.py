"""Why an alert was raised, as stable keys: the rules that hit and the model's strongest feature groups.

A key names one "rule" an analyst filters the queue by and may suppress for one card or counterparty.
Rule keys come from ``core.fraud.rules`` (``RuleHit.rule``), model keys from ``core.fraud.reasons.GROUPS``,
plus ``anomaly`` (the Isolation Forest's excess) and ``no_model`` (rules-only screening).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from core.fraud import reasons as reasons_mod
from core.fraud import rules as rules_mod
from core.fraud.config import FraudConfig
from core.fraud.decision import NO_MODEL
from core.fraud.features import INDEX
from core.fraud.txn import Txn

if TYPE_CHECKING:
    from core.fraud.registry import LoadedModel

RULES: Mapping[str, str] = {
    "blocked_counterparty": "counterparty on the block list",
    "blocked_country": "country on the block list",
    "amount_limit": "amount over the limit",
    "velocity_limit": "too many payments in an hour",
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
_ANOMALY_PREFIX = "unusual pattern for this card"


def title(key: str | None) -> str:
    """The plain words for a rule key (the key itself if unknown)."""
    return RULES.get(key or "", key or "")


def reason_keys(config: FraudConfig, model: "LoadedModel | None", txn: Txn, row: list[float], *, amount: int,
                currency: str, exponent: int, reasons: tuple[str, ...] | list[str]) -> list[str]:
    """The rule keys behind one screened payment, strongest first (rule hits, then model groups).

    ``row`` is the feature vector the screen scored; ``reasons`` the plain words it gave.
    """
    hits = rules_mod.check(config, counterparty=txn.counterparty, country=txn.country, amount=amount,
                           currency=currency, exponent=exponent, payments_last_hour=int(row[INDEX["card_n_1h"]]))
    keys = [hit.rule for hit in hits if hit.rule]
    if model is None:
        keys.append("no_model")
    elif model.classifier is not None:
        keys += reasons_mod.ranked_groups(model.classifier.predict, model.reference, row, config.max_reasons)
    if any(r.startswith(_ANOMALY_PREFIX) for r in reasons):
        keys.append("anomaly")
    if not keys and NO_MODEL in reasons:
        keys.append("no_model")
    return list(dict.fromkeys(keys))


def neutralized(config: FraudConfig, model: "LoadedModel | None", row: list[float], currency: str,
                suppressed: set[str]) -> tuple[FraudConfig, list[float]]:
    """The config and feature row with ``suppressed`` rules switched off for one payment.

    A model group takes the model's typical legitimate values (as the reasons do); ``anomaly`` drops the
    anomaly weight; ``amount_limit`` and ``velocity_limit`` lift the limit for this payment only.
    """
    changes: dict[str, object] = {}
    if "amount_limit" in suppressed:
        changes["amount_limits"] = {c: v for c, v in config.amount_limits.items() if c != currency.upper()}
    if "velocity_limit" in suppressed:
        changes["velocity_limit_1h"] = None
    if "anomaly" in suppressed:
        changes["anomaly_weight"] = 0.0
    out = list(row)
    if model is not None:
        reference = np.asarray(model.reference, dtype=np.float64)
        for group in suppressed & set(reasons_mod.GROUPS):
            for name in reasons_mod.GROUPS[group]:
                out[INDEX[name]] = float(reference[INDEX[name]])
    return (replace(config, **changes) if changes else config), out
