"""Configurable rules: block lists, amount limits and a velocity limit, each with a plain reason."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.fraud.config import FraudConfig


@dataclass(frozen=True)
class RuleHit:
    action: str  # "review" | "decline"
    reason: str


def _major(minor: int, exponent: int) -> str:
    """``123456`` at exponent 2 -> ``1,234.56``: exact (Decimal), with the currency's own decimals."""
    return f"{Decimal(minor).scaleb(-exponent):,f}"


def check(config: FraudConfig, *, counterparty: str | None, country: str | None, amount: int, currency: str,
          exponent: int, payments_last_hour: int) -> list[RuleHit]:
    """Rule hits for one payment (``amount`` in minor units; the count includes this payment)."""
    hits = []
    if counterparty is not None and counterparty in config.blocked_counterparties:
        hits.append(RuleHit("decline", f"counterparty {counterparty} is on the block list"))
    if country is not None and country.upper() in config.blocked_countries:
        hits.append(RuleHit("decline", f"country {country.upper()} is on the block list"))
    limit = config.amount_limits.get(currency.upper())
    if limit is not None and amount > limit:
        hits.append(RuleHit(config.amount_limit_action,
                            f"amount {_major(amount, exponent)} {currency} is over the limit of "
                            f"{_major(limit, exponent)} {currency}"))
    if config.velocity_limit_1h is not None and payments_last_hour > config.velocity_limit_1h:
        hits.append(RuleHit(config.velocity_action,
                            f"{payments_last_hour} payments on this card within an hour "
                            f"(limit {config.velocity_limit_1h})"))
    return hits
