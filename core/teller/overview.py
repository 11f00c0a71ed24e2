"""Read models of the teller's screens: a customer with everything on their accounts, one account."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from core.ledger import queries, store
from core.ledger.money import plain
from core.ledger.views import AccountView
from core.persistence.models import FraudAlert
from core.teller import customers, holds
from core.teller.customers import CustomerRecord
from core.teller.holds import HoldView
from core.teller.identifiers import account_iban

A, T, E = store.A, store.T, store.E
AL = FraudAlert.__table__
RECENT = 20


@dataclass(frozen=True)
class RecentTransfer:
    transfer_id: str
    at: datetime
    account: str  # the customer's account it touched
    amount: int  # signed for that account: + in, - out
    currency: str
    description: str
    state: str  # posted | pending (held for review) | ...


@dataclass(frozen=True)
class OpenAlert:
    transfer_id: str
    at: datetime
    account: str
    amount: int
    currency: str
    transfer_state: str
    score: float | None  # None unless the viewer may see fraud details
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AccountDetail:
    account: AccountView
    iban: str | None
    held: int  # sum of active holds
    pending_out: int  # reserved by pending transfers, holds included
    pending_in: int
    holds: list[HoldView] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        c = self.account.currency
        return {**self.account.to_dict(), "iban": self.iban, "on_hold": plain(self.held, c),
                "pending_out": plain(self.pending_out, c), "pending_in": plain(self.pending_in, c),
                "holds": [h.to_dict() for h in self.holds]}


@dataclass(frozen=True)
class CustomerOverview:
    customer: CustomerRecord
    accounts: list[AccountDetail]
    recent: list[RecentTransfer]
    alerts: list[OpenAlert]

    def to_dict(self) -> dict[str, Any]:
        return {**self.customer.to_dict(), "accounts": [a.to_dict() for a in self.accounts],
                "recent_transfers": [{"id": r.transfer_id, "at": r.at.isoformat(), "account": r.account,
                                      "amount": plain(r.amount, r.currency), "currency": r.currency,
                                      "description": r.description, "state": r.state} for r in self.recent],
                "open_alerts": [{"transfer_id": a.transfer_id, "at": a.at.isoformat(), "account": a.account,
                                 "amount": plain(a.amount, a.currency), "currency": a.currency,
                                 "transfer_state": a.transfer_state, "score": a.score, "reasons": list(a.reasons)}
                                for a in self.alerts]}


def account_detail(conn: Connection, view: AccountView, now: datetime) -> AccountDetail:
    """``view``'s holds and pending amounts (holds past their timeout count as released)."""
    pending_in = conn.execute(select(A.c.credits_pending).where(A.c.id == view.id)).scalar_one()
    if pending_in:  # incoming holds past their timeout are released too
        pending_in -= conn.execute(select(func.coalesce(func.sum(T.c.amount), 0)).where(
            T.c.credit_account_id == view.id, T.c.state == "pending", T.c.expires_at <= now)).scalar_one()
    active = holds.list_holds(conn, [view.id], now)
    from core.approvals.overdraft import waiting_request  # here: core.approvals reads core.teller's holds

    view = waiting_request(conn, view, now)  # an overdraft asked for reads "… requested, waiting for approval"
    return AccountDetail(view, account_iban(view.number, view.kind), sum(h.amount for h in active),
                         view.current - view.available, int(pending_in), active)


def account(conn: Connection, number: str, now: datetime) -> AccountDetail:
    return account_detail(conn, queries.account_view(conn, number, now), now)


def customer_overview(conn: Connection, customer_id: int, now: datetime, *, fraud_details: bool) -> CustomerOverview:
    record = customers.load(conn, customer_id)
    views = [queries._view(r) for r in conn.execute(select(*queries._view_cols(now))
                                                    .where(A.c.customer_id == customer_id).order_by(A.c.id))]
    by_id = {v.id: v for v in views}
    details = [account_detail(conn, v, now) for v in views]
    return CustomerOverview(record, details, _recent(conn, by_id, now), _alerts(conn, by_id, fraud_details, now))


def _live(state: str, expires_at: datetime | None, now: datetime) -> str:
    """A pending transfer past its timeout reads as expired (its funds are released) before the job runs."""
    return "expired" if state == "pending" and expires_at is not None and expires_at <= now else state


def _recent(conn: Connection, by_id: dict[int, AccountView], now: datetime) -> list[RecentTransfer]:
    out: list[RecentTransfer] = []
    for acc in by_id.values():  # newest entries of each account through (account_id, id), then merged
        rows = conn.execute(select(E.c.transfer_id, E.c.created_at, E.c.amount, T.c.description, T.c.code,
                                   T.c.state).join(T, T.c.id == E.c.transfer_id)
                            .where(E.c.account_id == acc.id).order_by(E.c.id.desc()).limit(RECENT))
        out += [RecentTransfer(r.transfer_id, r.created_at, acc.number, r.amount, acc.currency,
                               r.description or r.code, r.state) for r in rows]
    if by_id:  # held payments (pending) have no entries yet
        rows = conn.execute(select(T.c.id, T.c.created_at, T.c.amount, T.c.description, T.c.code, T.c.debit_account_id)
                            .where(T.c.state == "pending", T.c.debit_account_id.in_(list(by_id)), T.c.code != "hold",
                                   (T.c.expires_at.is_(None)) | (T.c.expires_at > now))
                            .order_by(T.c.created_at.desc()).limit(RECENT))
        out += [RecentTransfer(r.id, r.created_at, by_id[r.debit_account_id].number, -r.amount,
                               by_id[r.debit_account_id].currency, r.description or r.code, "pending") for r in rows]
    return sorted(out, key=lambda r: r.at, reverse=True)[:RECENT]


def _alerts(conn: Connection, by_id: dict[int, AccountView], fraud_details: bool, now: datetime) -> list[OpenAlert]:
    if not by_id:
        return []
    rows = conn.execute(select(AL.c.transfer_id, AL.c.created_at, AL.c.score, AL.c.reasons, T.c.amount,
                               T.c.currency, T.c.state, T.c.expires_at, T.c.debit_account_id)
                        .join(T, T.c.id == AL.c.transfer_id)
                        .where(AL.c.status == "open", T.c.debit_account_id.in_(list(by_id)))
                        .order_by(AL.c.created_at.desc()).limit(50))
    out = []
    for r in rows:
        reasons = tuple(json.loads(r.reasons or "[]")) if fraud_details else ()
        out.append(OpenAlert(r.transfer_id, r.created_at, by_id[r.debit_account_id].number, r.amount, r.currency,
                             _live(r.state, r.expires_at, now), r.score if fraud_details else None, reasons))
    return out


def count_customers(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(customers.C)).scalar_one()
