"""A customer as an analyst sees them: profile, accounts, and a timeline of recent activity.

The timeline merges the customer's payments in and out (the ledger's entries: indexed by account),
digital-banking logins, failed logins and new devices (``customer_activity``, reported by the bank's
channels), and earlier alerts with their outcomes; newest first. A device is "new" the first time it
appears in the customer's payments or logins.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from core.fraud.txn import customer_device
from core.persistence.models import Account, CustomerActivity, Customer, Entry, FraudAlert, Transfer
from core.teller.identifiers import customer_number

_A, _C, _E, _T = Account.__table__, Customer.__table__, Entry.__table__, Transfer.__table__
_ACT, _AL = CustomerActivity.__table__, FraudAlert.__table__
WINDOW = timedelta(days=30)
DEVICE_MEMORY = timedelta(days=90)  # a device unseen for this long counts as new again
MAX_ITEMS = 300
ACTIVITY_KINDS = ("login", "login_failed", "new_device", "password_reset")


@dataclass(frozen=True)
class AccountLine:
    number: str
    currency: str
    status: str
    balance: int  # minor units
    available: int


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    country: str
    since: datetime
    accounts: tuple[AccountLine, ...]
    alerts: int  # every alert ever raised on this customer
    confirmed: int
    false_positives: int
    # What staff read a customer by (never the internal id) and the KYC facts the bank holds (None: not recorded)
    number: str = ""
    date_of_birth: date | None = None
    address: str | None = None
    id_type: str | None = None
    id_number: str | None = None

    @property
    def id_document(self) -> str | None:
        """The ID document as shown at the desk ("passport P1234567"), or None if none is recorded."""
        text = " ".join(p for p in ((self.id_type or "").replace("_", " "), self.id_number or "") if p)
        return text or None


@dataclass(frozen=True)
class Item:
    """One timeline line. ``kind``: payment_out | payment_in | held | login | login_failed | new_device |
    password_reset | alert. ``amount`` minor units of ``currency`` (payments). ``flag``: worth a look."""

    at: datetime
    kind: str
    text: str
    amount: int | None = None
    currency: str | None = None
    ref: str | None = None  # transfer id or alert id
    flag: bool = False


def profile(conn: Connection, customer_id: int) -> Profile | None:
    cust = conn.execute(select(_C).where(_C.c.id == customer_id)).first()
    if cust is None:
        return None
    accounts = tuple(
        AccountLine(r.number, r.currency, r.status, r.credits_posted - r.debits_posted,
                    r.credits_posted - r.debits_posted - r.debits_pending)
        for r in conn.execute(select(_A).where(_A.c.customer_id == customer_id).order_by(_A.c.id)))
    outcomes = [r[0] for r in conn.execute(select(_AL.c.outcome).where(_AL.c.customer_id == customer_id))]
    return Profile(cust.id, cust.name, cust.country, cust.created_at, accounts, len(outcomes),
                   outcomes.count("TRUE_POSITIVE"), outcomes.count("FALSE_POSITIVE"), customer_number(cust.id),
                   cust.date_of_birth, cust.address or None, cust.id_type or None, cust.id_number or None)


def payments(conn: Connection, account_ids: list[int], since: datetime, until: datetime,
             limit: int = 2000) -> list[Any]:
    """Posted movements on ``account_ids`` in [since, until): entry amount (negative = money out) with the
    transfer's counterparty, channel, device and country; newest first."""
    if not account_ids:
        return []
    query = (select(_E.c.amount, _E.c.created_at, _E.c.account_id, _T.c.id, _T.c.currency, _T.c.channel,
                    _T.c.counterparty, _T.c.counterparty_country, _T.c.device, _T.c.description, _T.c.kind,
                    _T.c.code, _T.c.debit_account_id, _T.c.credit_account_id)
             .join(_T, _T.c.id == _E.c.transfer_id)
             .where(_E.c.account_id.in_(account_ids), _E.c.created_at >= since, _E.c.created_at < until)
             .order_by(_E.c.id.desc()).limit(limit))
    return list(conn.execute(query))


def timeline(conn: Connection, customer_id: int, until: datetime, *, alert_id: int | None = None,
             window: timedelta = WINDOW) -> list[Item]:
    """The customer's activity in the ``window`` before ``until`` (plus the alert's own moment), newest first."""
    since = until - window
    end = until + timedelta(seconds=1)
    account_ids = list(conn.scalars(select(_A.c.id).where(_A.c.customer_id == customer_id)))
    rows = payments(conn, account_ids, since, end)
    seen = {customer_device(r.channel, r.device) for r in payments(conn, account_ids, since - DEVICE_MEMORY, since)
            if r.amount < 0}
    items: list[Item] = []
    for r in reversed(rows):  # oldest first, to spot a device's first appearance
        out = r.amount < 0
        who = r.counterparty or ("cash" if r.code in ("deposit", "withdrawal") else "another account")
        text = f"{'paid' if out else 'received'} {'to' if out else 'from'} {who} · {r.channel}"
        if r.description:
            text += f" · {r.description}"
        items.append(Item(r.created_at, "payment_out" if out else "payment_in", text, abs(r.amount), r.currency, r.id))
        device = customer_device(r.channel, r.device)  # a desk's workstation is the bank's, not the customer's
        if out and device and device not in seen:
            seen.add(device)
            items.append(Item(r.created_at, "new_device", f"first payment from device {device}", ref=device,
                              flag=True))
    for act in conn.execute(select(_ACT).where(_ACT.c.customer_id == customer_id, _ACT.c.at >= since,
                                               _ACT.c.at < end).order_by(_ACT.c.at)):
        where = f" from {act.country}" if act.country else ""
        text = {"login": f"logged in ({act.channel}{where})", "login_failed": f"failed login ({act.channel}{where})",
                "new_device": f"new device registered: {act.device or 'unknown'} ({act.channel}{where})",
                "password_reset": f"password reset ({act.channel}{where})"}.get(act.kind, act.kind)
        if act.detail:
            text += f" · {act.detail}"
        items.append(Item(act.at, act.kind, text, ref=act.device, flag=act.kind in ("new_device", "login_failed")))
    for al in conn.execute(select(_AL).where(_AL.c.customer_id == customer_id, _AL.c.created_at >= since,
                                             _AL.c.created_at < end).order_by(_AL.c.created_at)):
        outcome = (al.outcome or (al.resolution or al.status)).replace("_", " ").lower()
        mark = "this alert" if al.id == alert_id else f"alert #{al.id}"
        items.append(Item(al.created_at, "alert", f"{mark}: score {al.score:.2f}, {outcome}", al.amount, al.currency,
                          str(al.id), flag=al.outcome == "TRUE_POSITIVE" or al.id == alert_id))
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:MAX_ITEMS]
