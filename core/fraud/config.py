"""Fraud settings: label delay, decision thresholds and the rules a bank configures."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from core.errors import ValidationError


@dataclass(frozen=True)
class FraudConfig:
    """Thresholds and rules. Amount limits are minor units per currency (e.g. {"EUR": 1_000_000})."""

    label_delay_days: int = 7
    review_threshold: float = 0.5
    decline_threshold: float = 0.9
    amount_limits: Mapping[str, int] = field(default_factory=dict)
    amount_limit_action: str = "review"
    velocity_limit_1h: int | None = 20
    velocity_action: str = "review"
    blocked_counterparties: frozenset[str] = frozenset()
    blocked_countries: frozenset[str] = frozenset()
    # A payment this many times the customer's usual amount (their 30-day average without earlier outliers,
    # feature ratio_usual_30d) and at least the currency's minimum (minor units; a currency not listed is
    # not checked) is held for review whatever the model says (QA: a first $9,500 desk transfer from a
    # customer whose usual was ~$16 was approved). None switches the rule off.
    usual_ratio_limit: float | None = 100.0
    usual_ratio_min_amounts: Mapping[str, int] = field(default_factory=lambda: {
        "USD": 2_000_00, "EUR": 2_000_00, "GBP": 2_000_00, "CHF": 2_000_00, "CAD": 2_000_00, "AUD": 2_000_00})
    usual_ratio_action: str = "review"
    anomaly_weight: float = 0.6
    max_reasons: int = 3

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_threshold <= self.decline_threshold <= 1.0:
            raise ValidationError(
                "fraud thresholds must satisfy 0 <= review <= decline <= 1",
                review=self.review_threshold, decline=self.decline_threshold,
            )
        if self.label_delay_days < 0:
            raise ValidationError("the label delay cannot be negative", days=self.label_delay_days)
        for name in ("amount_limit_action", "velocity_action", "usual_ratio_action"):
            if getattr(self, name) not in ("review", "decline"):
                raise ValidationError(f"{name} must be 'review' or 'decline'", value=getattr(self, name))
        for currency, limit in self.amount_limits.items():
            if not isinstance(limit, int) or limit <= 0:
                raise ValidationError("amount limits are positive integers in minor units", currency=currency)
        for currency, limit in self.usual_ratio_min_amounts.items():
            if not isinstance(limit, int) or limit <= 0:
                raise ValidationError("usual-ratio minimums are positive integers in minor units", currency=currency)
        if self.usual_ratio_limit is not None and not (isinstance(self.usual_ratio_limit, (int, float))
                                                       and self.usual_ratio_limit > 1):
            raise ValidationError("usual_ratio_limit is a number above 1 (times the usual amount), or None",
                                  value=self.usual_ratio_limit)
        if not 0.0 <= self.anomaly_weight <= 1.0:
            raise ValidationError("anomaly_weight must be within [0, 1]", value=self.anomaly_weight)
        object.__setattr__(self, "blocked_counterparties", frozenset(self.blocked_counterparties))
        object.__setattr__(self, "blocked_countries", frozenset(c.upper() for c in self.blocked_countries))
        object.__setattr__(self, "amount_limits", {c.upper(): v for c, v in self.amount_limits.items()})
        object.__setattr__(self, "usual_ratio_min_amounts", {c.upper(): v for c, v in self.usual_ratio_min_amounts.items()})

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> "FraudConfig":
        """Build from a settings mapping (e.g. parsed JSON); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(f"unknown fraud settings: {', '.join(unknown)}")
        return cls(**dict(data))  # type: ignore[arg-type]
