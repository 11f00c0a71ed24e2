"""Each feature of the alerted payment next to the customer's own normal.

The normal is the customer's own outgoing payments in the alert's currency over the 30 days BEFORE the
payment (nothing later is used, as the fraud features are honest about time). A feature is marked
unusual by simple, explainable tests (a multiple of the median, an hour never used, a first-time
counterparty or device), so an analyst can check every claim against the timeline.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from core.fraud.txn import STAFF_CHANNELS, customer_device
from core.ledger.money import format_minor
from core.words import counted

WINDOW = timedelta(days=30)
AMOUNT_MULTIPLE = 3.0  # an amount over 3 × the customer's median counts as unusual
RARE_CHANNEL = 0.10  # a channel used for under 10 % of payments counts as unusual


@dataclass(frozen=True)
class FeatureNorm:
    """``value``: this payment; ``normal``: the customer's habit; ``unusual``: worth the analyst's eye."""

    name: str
    value: str
    normal: str
    unusual: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "normal": self.normal, "unusual": self.unusual}


def compare(payment: dict[str, Any], history: list[Any], zone: tzinfo) -> list[FeatureNorm]:
    """``payment``: the alerted transfer (ledger row dict); ``history``: rows from ``profile.payments`` for
    the customer's accounts over the window before it (money out is a negative entry amount)."""
    at: datetime = payment["created_at"]
    currency: str = payment["currency"]
    out = [r for r in history if r.amount < 0 and r.created_at < at and r.id != payment["id"]]
    same = [r for r in out if r.currency == currency]
    # counted WITH this payment, as the screen's reasons count ("3 payments in 24 hours"): both say the same
    return [_amount(payment, same), _count(at, out, timedelta(hours=24), "Payments in 24 hours"),
            _count(at, out, timedelta(hours=1), "Payments in the last hour"), _hour(at, out, zone),
            _seen("Counterparty", payment.get("counterparty"), [r.counterparty for r in out], "paid"),
            _device(payment, out),
            _channel(payment.get("channel"), out), _country(payment.get("counterparty_country"), out)]


def _amount(payment: dict[str, Any], same: list[Any]) -> FeatureNorm:
    amount, currency = payment["amount"], payment["currency"]
    value = format_minor(amount, currency)
    amounts = sorted(-r.amount for r in same)
    if len(amounts) < 3:
        return FeatureNorm("Amount", value, f"too few {currency} payments in 30 days to say ({len(amounts)})",
                           len(amounts) == 0)
    median = statistics.median(amounts)
    p90 = amounts[min(len(amounts) - 1, int(0.9 * len(amounts)))]
    ratio = amount / median if median else float("inf")
    normal = (f"median {format_minor(int(median), currency)}, 9 in 10 up to {format_minor(p90, currency)} "
              f"({counted(len(amounts), 'payment')} in 30 days); this is {ratio:.1f} × the median")
    return FeatureNorm("Amount", value, normal, amount > max(AMOUNT_MULTIPLE * median, p90))


def _count(at: datetime, out: list[Any], span: timedelta, name: str) -> FeatureNorm:
    recent = sum(1 for r in out if at - span <= r.created_at < at)
    days = max((WINDOW.total_seconds() / span.total_seconds()), 1.0)
    usual = len(out) / days
    normal = f"about {usual:.1f} on average over 30 days" if out else "no payments in 30 days"
    unusual = recent >= 3 and recent > AMOUNT_MULTIPLE * max(usual, 0.34)
    return FeatureNorm(name, f"{recent + 1} (with this one)", normal, unusual)


def _hour(at: datetime, out: list[Any], zone: tzinfo) -> FeatureNorm:
    local = at.astimezone(zone)
    value = f"{local:%H:%M} {local.tzname() or ''}".strip()
    hours = Counter(r.created_at.astimezone(zone).hour for r in out)
    if len(out) < 5:
        return FeatureNorm("Time of day", value, "too few payments in 30 days to say", False)
    busy = sorted(h for h, n in hours.items() if n >= max(1, len(out) // 50))
    normal = _usual_hours(busy) if busy else "no usual hours"
    return FeatureNorm("Time of day", value, normal, hours.get(local.hour, 0) == 0)


def _usual_hours(busy: list[int]) -> str:
    """The customer's usual hours, compactly: "usually 08:00–18:00"; spread over most of the day, the quiet hours
    instead ("at any hour but 01:00–03:00"); a span across midnight is one span (23:00–01:00, not two)."""
    if len(busy) == 24:
        return "at any hour of the day"
    if len(busy) > 12:
        quiet = [h for h in range(24) if h not in busy]
        return f"at any hour but {_ranges(quiet)}"
    return f"usually {_ranges(busy)}"


def _ranges(hours: list[int]) -> str:
    """Hour spans, one across midnight joined ("22:00–02:00")."""
    spans = _spans(hours)
    if len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == 23:
        spans = [(spans[-1][0], spans[0][1] + 24)] + spans[1:-1]
    return ", ".join(f"{a:02d}:00–{(b + 1) % 24:02d}:00" for a, b in spans)


def _spans(hours: list[int]) -> list[tuple[int, int]]:
    spans, start, prev = [], None, None
    for h in hours:
        if start is None:
            start = prev = h
        elif h == prev + 1:
            prev = h
        else:
            spans.append((start, prev))
            start = prev = h
    if start is not None:
        spans.append((start, prev))
    return spans


def _device(payment: dict[str, Any], out: list[Any]) -> FeatureNorm:
    """The customer's device against their habits; a desk payment's device is the bank's workstation."""
    if payment.get("channel") in STAFF_CHANNELS:
        return FeatureNorm("Device", "none: paid at the bank's desk", "—", False)
    return _seen("Device", customer_device(payment.get("channel"), payment.get("device")),
                 [customer_device(r.channel, r.device) for r in out], "used")


def _seen(name: str, value: str | None, history: list[str | None], verb: str) -> FeatureNorm:
    if not value:
        return FeatureNorm(name, "not given", "—", False)
    times = sum(1 for v in history if v == value)
    if times:
        return FeatureNorm(name, value, f"{verb} {counted(times, 'time')} in the 30 days before", False)
    return FeatureNorm(name, value, f"never {verb} in the 30 days before", bool(history))


def _channel(channel: str | None, out: list[Any]) -> FeatureNorm:
    if not channel:
        return FeatureNorm("Channel", "not given", "—", False)
    if not out:
        return FeatureNorm("Channel", channel, "no payments in 30 days", False)
    counts = Counter(r.channel for r in out)
    share = counts.get(channel, 0) / len(out)
    usual = ", ".join(f"{c} {n * 100 // len(out)} %" for c, n in counts.most_common(3))
    return FeatureNorm("Channel", channel, f"{share:.0%} of payments ({usual})", share < RARE_CHANNEL)


def _country(country: str | None, out: list[Any]) -> FeatureNorm:
    if not country:
        return FeatureNorm("Counterparty country", "not given", "—", False)
    counts = Counter(r.counterparty_country for r in out if r.counterparty_country)
    if not counts:
        return FeatureNorm("Counterparty country", country, "no foreign payments in 30 days", True)
    usual = ", ".join(c for c, _ in counts.most_common(3))
    return FeatureNorm("Counterparty country", country, f"usually {usual}", country not in counts)
