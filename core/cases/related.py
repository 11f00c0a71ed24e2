"""Related alerts and transfers: what shares the alert's payer, counterparty, beneficiary or device.

Alerts are found through ``fraud_alert_links`` (one index look-up per entity). Transfers paying the same
beneficiary account come from the ledger's entries (indexed by account); transfers naming the same
counterparty or device are read from the transfers themselves, newest first, a bounded number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from core.cases.queue import AlertRow, row_from
from core.fraud.txn import STAFF_CHANNELS, customer_device
from core.persistence.models import Account, AlertLink, Entry, FraudAlert, Transfer

_LINK, _AL = AlertLink.__table__, FraudAlert.__table__
_A, _E, _T = Account.__table__, Entry.__table__, Transfer.__table__
# "card" is the fraud screen's name for the paying customer in one currency (core.fraud.txn.card_key): a desk
# transfer has no card, so staff read it as the payer (QA7 #6: a desk transfer was "linked: same card")
KINDS = {"card": "same payer", "counterparty": "same counterparty", "beneficiary": "same beneficiary",
         "device": "same device"}
LIMIT = 25


@dataclass(frozen=True)
class RelatedAlert:
    alert: AlertRow
    shared: tuple[str, ...]  # plain words: "same counterparty", ...


@dataclass(frozen=True)
class RelatedTransfer:
    """A transfer sharing something with the alert; ``amount`` in minor units of ``currency``."""

    id: str
    at: datetime
    amount: int
    currency: str
    debit: str
    credit: str
    counterparty: str | None
    channel: str
    state: str
    shared: str
    fraud_label: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        return {"id": self.id, "at": self.at.isoformat(), "amount": plain(self.amount, self.currency),
                "currency": self.currency, "debit": self.debit, "credit": self.credit,
                "counterparty": self.counterparty, "channel": self.channel, "state": self.state,
                "shared": self.shared}


def alerts(conn: Connection, alert_id: int, now: datetime, limit: int = LIMIT) -> list[RelatedAlert]:
    """Other alerts linked to any entity this alert names (newest first)."""
    mine = conn.execute(select(_LINK.c.kind, _LINK.c.key).where(_LINK.c.alert_id == alert_id,
                                                                 _LINK.c.kind.in_(tuple(KINDS)))).all()
    shared: dict[int, set[str]] = {}
    for kind, key in mine:
        for other in conn.scalars(select(_LINK.c.alert_id).where(_LINK.c.kind == kind, _LINK.c.key == key,
                                                                 _LINK.c.alert_id != alert_id)
                                  .order_by(_LINK.c.alert_id.desc()).limit(limit)):
            shared.setdefault(other, set()).add(KINDS[kind])
    if not shared:
        return []
    ids = sorted(shared, reverse=True)[:limit]
    rows = {r.id: row_from(r, now) for r in conn.execute(select(_AL).where(_AL.c.id.in_(ids)))}
    return [RelatedAlert(rows[i], tuple(sorted(shared[i]))) for i in ids if i in rows]


def transfers(conn: Connection, payment: dict[str, Any], limit: int = LIMIT) -> list[RelatedTransfer]:
    """Transfers by other payers to the same beneficiary account, and any naming the same counterparty or
    device (the alert's own transfer left out), newest first."""
    found: dict[str, tuple[Any, str]] = {}
    own = payment["id"]
    credit_id = payment["credit_account_id"]
    incoming = (select(_T).join(_E, _E.c.transfer_id == _T.c.id)
                .where(_E.c.account_id == credit_id, _E.c.amount > 0, _T.c.debit_account_id != payment["debit_account_id"])
                .order_by(_E.c.id.desc()).limit(limit))
    for row in conn.execute(incoming):
        found.setdefault(row.id, (row, "same beneficiary"))
    for column, value, words in ((_T.c.counterparty, payment.get("counterparty"), "same counterparty"),
                                 (_T.c.device, customer_device(payment.get("channel"), payment.get("device")),
                                  "same device")):
        if not value:
            continue
        query = select(_T).where(column == value, _T.c.kind.in_(("single", "pending")), _T.c.id != own)
        if words == "same device":  # the bank's desk workstations are nobody's device (core.fraud.txn)
            query = query.where(_T.c.channel.not_in(tuple(STAFF_CHANNELS)))
        query = (query
                 .order_by(_T.c.created_at.desc()).limit(limit))
        for row in conn.execute(query):
            found.setdefault(row.id, (row, words))
    found.pop(own, None)
    if not found:
        return []
    account_ids = {r.debit_account_id for r, _ in found.values()} | {r.credit_account_id for r, _ in found.values()}
    numbers = dict(conn.execute(select(_A.c.id, _A.c.number).where(_A.c.id.in_(account_ids))).all())
    items = sorted(found.values(), key=lambda pair: pair[0].created_at, reverse=True)[:limit]
    return [RelatedTransfer(r.id, r.created_at, r.amount, r.currency, numbers.get(r.debit_account_id, "?"),
                            numbers.get(r.credit_account_id, "?"), r.counterparty, r.channel, r.state, words)
            for r, words in items]
