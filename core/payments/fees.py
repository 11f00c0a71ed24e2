"""Outgoing-transfer fees: one flat fee per rail and currency, charged to the customer with the order.

The schedule is configurable: ``QENEX_RAIL_FEES`` holds ``rail:CUR=amount`` items separated by commas,
e.g. ``sepa:EUR=0.50,ach:USD=0.25,wire:USD=25.00``; ``rail:*=amount`` applies to every currency of that
rail without its own item (in that currency's minor units, so ``wire:*=20`` is 20 JPY, 20.00 EUR). An
empty variable means no fees; unset means ``DEFAULT``. A rail and currency without an item costs nothing.

The fee posts customer -> the bank's fee income GL account (kind ``fees``) in the same transaction as the
order (transfer id ``<order>:fee``) and is shown in the confirmation and on the receipt. It follows the
payment (``core.payments.order_fees``): held while the payment is held (four eyes, fraud review), charged
only when it goes out, and never charged or credited back when it does not (rejected, withdrawn, expired,
refused, cancelled before it was sent, returned by the rail).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import ValidationError
from core.ledger import money

DEFAULT = "sepa:EUR=0.50,ach:USD=0.25,wire:USD=25.00,wire:EUR=20.00,wire:GBP=20.00,wire:CHF=20.00"
ENV = "QENEX_RAIL_FEES"
FEE_GL_KIND = "fees"


@dataclass(frozen=True)
class FeeSchedule:
    """``items``: {(rail, currency or "*"): text amount}; ``fee`` gives minor units."""

    items: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "FeeSchedule":
        items: dict[tuple[str, str], str] = {}
        for part in filter(None, (p.strip() for p in (text or "").split(","))):
            key, _, amount = part.partition("=")
            rail, _, cur = key.strip().partition(":")
            rail, cur = rail.strip().lower(), cur.strip().upper()
            if rail not in ("sepa", "ach", "wire") or not cur or not amount.strip():
                raise ValidationError(f"{ENV}: {part!r} is not rail:CURRENCY=amount (e.g. sepa:EUR=0.50)")
            if cur != "*":
                money.to_minor(amount.strip(), money.currency(cur))  # checked now, not at the first order
            items[(rail, cur)] = amount.strip()
        return cls(items)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "FeeSchedule":
        return cls.parse(environ.get(ENV, DEFAULT))

    def fee(self, rail: str, currency: str) -> int:
        """The fee in minor units of ``currency`` for one order on ``rail`` (0 when none is configured)."""
        cur = money.currency(currency)
        amount = self.items.get((rail, cur))
        if amount is not None:
            return money.to_minor(amount, cur)
        amount = self.items.get((rail, "*"))
        if amount is None:
            return 0
        whole = amount.split(".")[0]
        return int(whole) * 10 ** money.exponent(cur) if whole.isdigit() else 0
