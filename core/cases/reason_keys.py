"""Rule keys for one screened payment, and the same payment scored with some rules switched off.

Used in the posting path only (``core.cases.screening``): the keys name an alert's rules
(``core.cases.rules``), and ``neutralized`` is how a suppression switches a rule off.
"""
from __future__ import annotations

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

_ANOMALY_PREFIX = "unusual pattern for "  # "... this card" / "... this customer" (core.fraud.decision.anomaly_words)


def reason_keys(config: FraudConfig, model: "LoadedModel | None", txn: Txn, row: list[float], *, amount: int,
                currency: str, exponent: int, reasons: tuple[str, ...] | list[str]) -> list[str]:
    """The rule keys behind one screened payment, strongest first (rule hits, then model groups).

    ``row`` is the feature vector the screen scored; ``reasons`` the plain words it gave.
    """
    hits = rules_mod.check(config, counterparty=txn.counterparty, country=txn.country, amount=amount,
                           currency=currency, exponent=exponent, payments_last_hour=int(row[INDEX["card_n_1h"]]),
                           usual_ratio=float(row[INDEX["ratio_usual_30d"]]))
    keys = [hit.rule for hit in hits if hit.rule]
    if model is None:
        keys.append("no_model")
    elif model.classifier is not None:
        keys += reasons_mod.ranked_groups(model.classifier, model.reference, row, config.max_reasons)
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
    if "usual_ratio" in suppressed:
        changes["usual_ratio_limit"] = None
    if "anomaly" in suppressed:
        changes["anomaly_weight"] = 0.0
    out = list(row)
    if model is not None:
        reference = np.asarray(model.reference, dtype=np.float64)
        for group in suppressed & set(reasons_mod.GROUPS):
            for name in reasons_mod.GROUPS[group]:
                out[INDEX[name]] = float(reference[INDEX[name]])
    return (replace(config, **changes) if changes else config), out
