"""Configurable rules: block lists, amount limits and a velocity limit, each with a plain reason."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.fraud.config import FraudConfig


@dataclass(frozen=True)
class RuleHit:
    action: str  # "review" | "decline"
    reason: str
    rule: str = ""  # a stable key: blocked_counterparty | blocked_country | amount_limit | velocity_limit


# The model's feature groups (core.fraud.reasons.GROUPS) whose words say what a rule's reason already says: when
# the rule hits, the alert gives its reason once, in the rule's words (with the limit), not again in the model's.
SAME_AS = {"amount_limit": ("large_amount",), "usual_ratio": ("amount_vs_card",), "velocity_limit": ("velocity",)}


def said_by(hits: "list[RuleHit]") -> frozenset[str]:
    """The model's feature groups whose reasons ``hits`` already give (``SAME_AS``)."""
    return frozenset(g for h in hits for g in SAME_AS.get(h.rule, ()))


def _major(minor: int, exponent: int) -> str:
    """``123456`` at exponent 2 -> ``1,234.56``: exact (Decimal), with the currency's own decimals."""
    return f"{Decimal(minor).scaleb(-exponent):,f}"


def check(config: FraudConfig, *, counterparty: str | None, country: str | None, amount: int, currency: str,
          exponent: int, payments_last_hour: int, channel: str = "card", usual_ratio: float = 0.0) -> list[RuleHit]:
    """Rule hits for one payment (``amount`` in minor units; the count includes this payment; ``channel``
    picks the words: "on this card" for card payments, "by this customer" for desk and online transfers;
    ``usual_ratio``: the amount over the customer's usual 30-day amount, feature ``ratio_usual_30d``, 0 when
    they have no history)."""
    from core.fraud.reasons import counted_payments

    hits = []
    if counterparty is not None and counterparty in config.blocked_counterparties:
        hits.append(RuleHit("decline", f"counterparty {counterparty} is on the block list", "blocked_counterparty"))
    if country is not None and country.upper() in config.blocked_countries:
        hits.append(RuleHit("decline", f"country {country.upper()} is on the block list", "blocked_country"))
    limit = config.amount_limits.get(currency.upper())
    if limit is not None and amount > limit:
        hits.append(RuleHit(config.amount_limit_action,
                            f"amount {_major(amount, exponent)} {currency} is over the limit of "
                            f"{_major(limit, exponent)} {currency}", "amount_limit"))
    least = config.usual_ratio_min_amounts.get(currency.upper())
    if (config.usual_ratio_limit is not None and least is not None and amount >= least
            and usual_ratio >= config.usual_ratio_limit):
        hits.append(RuleHit(config.usual_ratio_action,
                            f"amount {_major(amount, exponent)} {currency} is {usual_ratio:,.0f} times the "
                            f"customer's usual amount (rule: {config.usual_ratio_limit:g} times, from "
                            f"{_major(least, exponent)} {currency})", "usual_ratio"))
    if config.velocity_limit_1h is not None and payments_last_hour > config.velocity_limit_1h:
        hits.append(RuleHit(config.velocity_action,
                            f"{counted_payments(payments_last_hour, channel)} within an hour "
                            f"(limit {config.velocity_limit_1h})", "velocity_limit"))
    return hits
