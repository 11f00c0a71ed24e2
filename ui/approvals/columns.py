"""Columns of the approvals inbox and of the checker's view of the account's recent activity."""
from __future__ import annotations

from datetime import datetime, timezone

from core.approvals import ApprovalView
from core.ledger.money import format_minor
from ui.columns import Column

STATE_WORDS = {"pending": "waiting", "approved": "approved", "rejected": "rejected", "expired": "expired",
               "failed": "failed"}


def age(when: datetime) -> str:
    minutes = int((datetime.now(timezone.utc) - when).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // 1440} days"


def _left(r: ApprovalView) -> str:
    if r.state != "pending":
        return STATE_WORDS.get(r.state, r.state)
    minutes = int((r.expires_at - datetime.now(timezone.utc)).total_seconds() // 60)
    return f"{minutes // 60} h left" if minutes >= 60 else f"{max(minutes, 0)} min left"


SHORT_KIND = {"transfer": "Transfer", "gl": "GL movement", "correction": "Correction", "freeze": "Freeze",
              "close": "Closure", "hold_release": "Hold release",
              "overdraft": "Overdraft"}

REQUEST_COLUMNS = (  # what each request is about in full: the checker's view beside the list
    Column("#", lambda r: str(r.id), align_right=True),
    Column("Request", lambda r: SHORT_KIND.get(r.kind, r.kind)),
    Column("Account", lambda r: r.account or ""),
    Column("Amount", lambda r: r.amount_text, align_right=True),
    Column("Score", lambda r: "" if r.score is None else f"{r.score:.2f}", align_right=True),
    Column("Maker", lambda r: r.maker),
    Column("Status", _left),
)


def activity_columns(currency: str) -> tuple[Column, ...]:
    return (
        Column("When", lambda ln: ln.at.astimezone().strftime("%m-%d %H:%M")),
        Column("Amount", lambda ln: format_minor(ln.amount, currency), align_right=True),
        Column("Description", lambda ln: ln.description or ln.code),
    )
