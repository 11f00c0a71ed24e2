"""The Payments page's columns: the card payments list (status as core words it, captured beside the amount)
and a payment's event history."""
from __future__ import annotations

from core.ledger.money import format_minor
from core.payments.views import STATUS_WORDS, status_words
from ui.columns import Column

STATUSES = ("", "requires_action", "requires_capture", "succeeded", "refunded", "canceled", "failed", "declined")

PAYMENT_COLUMNS = (
    Column("When", lambda p: p.created_at.astimezone().strftime("%m-%d %H:%M")),
    Column("Status", lambda p: p.state_words),
    Column("Amount", lambda p: format_minor(p.amount, p.currency), align_right=True),
    Column("Captured", lambda p: format_minor(p.captured, p.currency) if p.captured else "", align_right=True),
    Column("Refunded", lambda p: format_minor(p.refunded, p.currency) if p.refunded else "", align_right=True),
    Column("Card", lambda p: p.card),
    Column("Account", lambda p: p.account),
    Column("Payment", lambda p: p.id),
)
EVENT_COLUMNS = (
    Column("When", lambda e: e.at.astimezone().strftime("%H:%M:%S")),
    Column("Step", lambda e: status_words(e.kind) if e.kind in STATUS_WORDS else e.kind.replace("_", " ")),
    Column("By", lambda e: f"{e.actor} ({e.source})"),
    Column("Detail", lambda e: e.detail),
)
