"""QA4 #9: the alert's "Against habits" rows: usual hours read compactly, payment counts include this payment
(as the screen's reason "3 payments in 24 hours" does)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from core.cases.normal import _usual_hours, compare


def test_usual_hours_are_compact():
    assert _usual_hours([8, 9, 10, 11, 17]) == "usually 08:00–12:00, 17:00–18:00"
    assert _usual_hours([0, 1, 22, 23]) == "usually 22:00–02:00"  # one span across midnight
    spread = [h for h in range(24) if h not in (1, 2, 22)]
    assert _usual_hours(spread) == "at any hour but 01:00–03:00, 22:00–23:00"
    assert _usual_hours(list(range(24))) == "at any hour of the day"


def test_payment_counts_include_this_payment():
    at = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    history = [SimpleNamespace(id=f"p{i}", amount=-100, currency="USD", created_at=at - timedelta(hours=i + 1),
                               counterparty=None, device=None, channel="card", counterparty_country=None)
               for i in range(2)]
    payment = {"id": "now", "amount": 100, "currency": "USD", "created_at": at}
    rows = {n.name: n for n in compare(payment, history, timezone.utc)}
    assert rows["Payments in 24 hours"].value == "3 (with this one)"
