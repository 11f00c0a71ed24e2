"""The drawer's configurable figures: the cash reporting (CTR) threshold and the over/short amount
above which closing needs a supervisor's note, each per currency.

``QENEX_CTR_THRESHOLD`` (default ``USD=10000``): cash above it asks for the customer's ID document
and is flagged for a currency transaction report (the US rule is cash of more than 10,000 USD,
31 CFR 1010.311). Currencies not listed have no threshold unless ``*=AMOUNT`` is given.
``QENEX_DRAWER_VARIANCE_LIMIT`` (default ``*=20``): a difference larger than this many units of the
drawer's currency needs a supervisor's note.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import ConfigurationError, QenexError
from core.ledger import money

DEFAULT_CTR = "USD=10000"
DEFAULT_VARIANCE = "*=20"


def _parse(raw: str, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        code, sep, amount = item.partition("=")
        code = code.strip().upper()
        if not sep or not amount.strip():
            raise ConfigurationError(f"{name} must list CURRENCY=AMOUNT items like USD=10000,EUR=10000; got {item!r}")
        try:
            if code != "*":
                code = money.currency(code)
            money.to_minor(amount.strip(), "USD" if code == "*" else code, allow_zero=True)
        except QenexError as err:
            raise ConfigurationError(f"{name}: {item!r}: {err.message}") from None
        out[code] = amount.strip()
    return out


@dataclass(frozen=True)
class DrawerLimits:
    """Per-currency figures in major units as configured (``*``: any other currency)."""

    ctr: Mapping[str, str] = field(default_factory=lambda: _parse(DEFAULT_CTR, "QENEX_CTR_THRESHOLD"))
    variance: Mapping[str, str] = field(default_factory=lambda: _parse(DEFAULT_VARIANCE,
                                                                       "QENEX_DRAWER_VARIANCE_LIMIT"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "DrawerLimits":
        env = os.environ if env is None else env
        return cls(ctr=_parse(env.get("QENEX_CTR_THRESHOLD") or DEFAULT_CTR, "QENEX_CTR_THRESHOLD"),
                   variance=_parse(env.get("QENEX_DRAWER_VARIANCE_LIMIT") or DEFAULT_VARIANCE,
                                   "QENEX_DRAWER_VARIANCE_LIMIT"))

    @staticmethod
    def _lookup(table: Mapping[str, str], currency: str) -> int | None:
        raw = table.get(currency, table.get("*"))
        return None if raw is None else money.to_minor(raw, currency, allow_zero=True)

    def ctr_threshold(self, currency: str) -> int | None:
        """Minor units above which cash is reported, or None (no reporting in this currency)."""
        return self._lookup(self.ctr, money.currency(currency))

    def variance_limit(self, currency: str) -> int:
        """Minor units of over/short a teller may close with alone (0 without a configured figure)."""
        return self._lookup(self.variance, money.currency(currency)) or 0
