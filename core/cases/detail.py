"""Everything the alert detail screen shows, read in one go on the worker.

The held transfer; the customer's profile and recent timeline; each feature against the customer's own
normal; the reasons in plain words; related alerts and transfers; the alert's own events; the case it
belongs to; suppressions in force for its card or counterparty.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any

from sqlalchemy import Connection, select

from core.cases import normal, profile, related, suppressions, timeline
from core.cases.claims import fetch
from core.cases.queue import AlertRow, row_from
from core.ledger import store
from core.persistence.models import Account, FraudCase, FraudLabel

_A, _CASE, _LAB = Account.__table__, FraudCase.__table__, FraudLabel.__table__


@dataclass(frozen=True)
class TransferFacts:
    """The alerted transfer as the ledger has it (amount minor units of ``currency``)."""

    id: str
    kind: str
    state: str
    amount: int
    currency: str
    debit: str
    credit: str
    description: str
    channel: str
    counterparty: str | None
    counterparty_country: str | None
    device: str | None
    created_at: datetime
    expires_at: datetime | None
    created_by: str
    fraud_label: bool | None  # the label on file (a disposition records one at once)
    credit_name: str | None = None  # the receiving account's name (From shows the payer's)
    four_eyes: str | None = None  # its four-eyes request in words: "approved by sam (request #5)" (QA4 #9)


@dataclass(frozen=True)
class AlertDetail:
    alert: AlertRow
    transfer: TransferFacts | None
    customer: profile.Profile | None
    activity: tuple[profile.Item, ...]
    normal: tuple[normal.FeatureNorm, ...]
    related_alerts: tuple[related.RelatedAlert, ...]
    related_transfers: tuple[related.RelatedTransfer, ...]
    events: tuple[timeline.Event, ...]
    case: tuple[int, str, str] | None  # (id, title, status)
    suppressions: tuple[suppressions.SuppressionView, ...]

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        t = self.transfer
        return {
            "alert": self.alert.to_dict(),
            "transfer": None if t is None else {**{k: getattr(t, k) for k in t.__dataclass_fields__},
                                                "amount": plain(t.amount, t.currency),
                                                "created_at": t.created_at.isoformat(),
                                                "expires_at": t.expires_at.isoformat() if t.expires_at else None},
            "customer": None if self.customer is None else {
                "id": self.customer.id, "number": self.customer.number, "name": self.customer.name,
                "country": self.customer.country,
                "since": self.customer.since.isoformat(), "alerts": self.customer.alerts,
                "confirmed": self.customer.confirmed, "false_positives": self.customer.false_positives,
                "accounts": [{"number": a.number, "currency": a.currency, "status": a.status,
                              "balance": plain(a.balance, a.currency), "available": plain(a.available, a.currency)}
                             for a in self.customer.accounts]},
            "activity": [{"at": i.at.isoformat(), "kind": i.kind, "text": i.text, "flag": i.flag,
                          "amount": plain(i.amount, i.currency) if i.amount is not None and i.currency else None,
                          "currency": i.currency, "ref": i.ref} for i in self.activity],
            "normal": [n.to_dict() for n in self.normal],
            "related_alerts": [{"alert": r.alert.id, "shared": list(r.shared), "outcome": r.alert.outcome,
                                "status": r.alert.status} for r in self.related_alerts],
            "related_transfers": [r.to_dict() for r in self.related_transfers],
            "events": [e.to_dict() for e in self.events],
            "case": None if self.case is None else {"id": self.case[0], "title": self.case[1], "status": self.case[2]},
            "suppressions": [s.to_dict() for s in self.suppressions],
        }


def load(conn: Connection, alert_id: int, now: datetime, zone: tzinfo = timezone.utc) -> AlertDetail:
    """The detail of ``alert_id`` (AlertNotFound if there is none); times compared in ``zone``."""
    row = fetch(conn, alert_id)
    alert = row_from(row, now)
    raw = store.transfers_by_id(conn, [row.transfer_id]).get(row.transfer_id)
    facts = _facts(conn, raw) if raw is not None else None
    customer = profile.profile(conn, row.customer_id) if row.customer_id is not None else None
    activity: list[profile.Item] = []
    norms: list[normal.FeatureNorm] = []
    at = raw["created_at"] if raw is not None else row.created_at
    if customer is not None:
        activity = profile.timeline(conn, customer.id, max(at, row.created_at), alert_id=alert_id)
        if raw is not None:
            ids = list(conn.scalars(select(_A.c.id).where(_A.c.customer_id == customer.id)))
            history = profile.payments(conn, ids, at - normal.WINDOW, at)
            norms = normal.compare(raw, history, zone)
    case = None
    if row.case_id is not None:
        c = conn.execute(select(_CASE.c.id, _CASE.c.title, _CASE.c.status).where(_CASE.c.id == row.case_id)).first()
        case = tuple(c) if c else None
    active = suppressions.active_for(conn, card=suppressions.card_of(row), counterparty=row.counterparty, now=now)
    return AlertDetail(alert, facts, customer, tuple(activity), tuple(norms),
                       tuple(related.alerts(conn, alert_id, now)),
                       tuple(related.transfers(conn, raw)) if raw is not None else (),
                       tuple(timeline.for_alert(conn, alert_id)), case, tuple(active))


def _facts(conn: Connection, t: dict[str, Any]) -> TransferFacts:
    numbers = store.account_numbers(conn, [t["debit_account_id"], t["credit_account_id"]])
    label = conn.execute(select(_LAB.c.is_fraud).where(_LAB.c.transfer_id == t["id"])).scalar()
    credit_name = conn.execute(select(_A.c.name).where(_A.c.id == t["credit_account_id"])).scalar()
    return TransferFacts(t["id"], t["kind"], t["state"], t["amount"], t["currency"],
                         numbers.get(t["debit_account_id"], "?"), numbers.get(t["credit_account_id"], "?"),
                         t["description"], t["channel"], t["counterparty"], t["counterparty_country"], t["device"],
                         t["created_at"], t["expires_at"], t["created_by"], label, credit_name,
                         _four_eyes(conn, t["id"]))


def _four_eyes(conn: Connection, transfer_id: str) -> str | None:
    """The transfer's latest four-eyes request in words, or None when it never needed one."""
    from core.persistence.models import ApprovalRequest

    r = ApprovalRequest.__table__
    row = conn.execute(select(r.c.id, r.c.state, r.c.checker).where(r.c.transfer_id == transfer_id)
                       .order_by(r.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    if row.state == "pending":
        return f"waiting for a supervisor's approval (request #{row.id})"
    if row.state == "withdrawn":
        return f"four-eyes request #{row.id} withdrawn by its maker"
    by = f" by {row.checker}" if row.checker else ""
    return f"four-eyes request #{row.id} {row.state}{by}"
