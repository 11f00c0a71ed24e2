"""The traffic ``benchmarks/desk.py`` and ``benchmarks/desk_server.py`` post: the demo bank's own story, continued.

``core.demo.plan.build`` is deterministic and draws day by day, so building it for more days than the seeded
history gives the same history followed by the days after it (``benchmarks/desk_traffic.py`` relies on the
same). The benchmarks post, in time order, every payment a customer makes after the history: card purchases
at their usual terminals, transfers at the desk to relatives, landlords and tradesmen, the monthly rent, and
the story's frauds (stolen cards, compromised terminals, account takeovers, impostors at the desk) at the
story's rate. Each payment is posted at the story's own time (the desk's ledger clock reads it), so the fraud
screen's windows, velocity and "seconds since last" features see each customer's own pace, whatever the
desks' throughput. Cash withdrawals (the drawer's path in the console) and the bank's own credits (salaries,
deposits) are left out; every customer is paid a salary before the runs instead.

Why not made-up traffic: the earlier benchmark drew rent, family transfers and bills from the business clock
at any hour, with no card purchases between them. The screen then saw what the demo history never shows: rent
of 300-1,500 USD at the desk (the history's rent is paid online; its desk transfers are log-normal around
350 USD, in opening hours) from customers whose card spending had stopped, and held 8-10 % of it (40-60 % of
the rent) where the story's own desk traffic is held 0.16 % (README, issue 9).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, func, select


@dataclass(frozen=True)
class Bank:
    """A seeded demo bank: its size, the first day of its history, and its plan roles' account numbers."""

    customers: int
    days: int
    start: datetime
    latest: datetime  # the latest payment in the database (the demo's queue is posted at seeding time)
    numbers: dict[tuple, str]

    def first_account(self) -> str:
        return self.numbers[("cust", 0)]


@dataclass(frozen=True)
class Payment:
    """One payment of the story as a desk posts it (accounts by number, amount in minor units)."""

    at: datetime
    debit: str
    credit: str
    amount: int
    currency: str
    code: str
    channel: str
    counterparty: str | None
    country: str | None
    description: str
    fraud: bool

    def request(self, tid: str) -> Any:
        from core.ledger.views import TransferRequest

        return TransferRequest(tid, self.debit, self.credit, self.amount, self.currency, code=self.code,
                               description=self.description, channel=self.channel, counterparty=self.counterparty,
                               counterparty_country=self.country)


def read_bank(engine: Engine, customers: int, days: int) -> Bank:
    """The plan roles' accounts of a demo bank seeded with ``customers`` and ``days`` (``core.demo.seed`` opens
    the retail customers in plan order, then the merchants; a customer's USD account before the EUR one)."""
    from core.demo.plan import build
    from core.persistence.models import Account, Transfer

    a = Account.__table__
    with engine.connect() as conn:
        first, latest = conn.execute(select(func.min(Transfer.__table__.c.created_at),
                                            func.max(Transfer.__table__.c.created_at))).one()
        rows = conn.execute(select(a.c.customer_id, a.c.number, a.c.currency).where(
            a.c.customer_id.is_not(None), a.c.kind == "deposit").order_by(a.c.customer_id, a.c.id)).all()
    if first is None:
        raise RuntimeError("the demo bank has no history")
    first, latest = (t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in (first, latest))
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    owners = sorted({r[0] for r in rows})
    merchants = len(build(customers, 1, start + timedelta(days=1, hours=12)).merchants)
    if len(owners) < customers + merchants:
        raise RuntimeError("the demo bank has fewer customers than its plan")
    index = {owner: k for k, owner in enumerate(owners[:customers + merchants])}
    numbers: dict[tuple, str] = {}
    for owner, number, currency in rows:
        k = index.get(owner)
        if k is None:
            continue
        role = (("cust", k) if currency == "USD" else ("eur", k)) if k < customers else ("merchant", k - customers,
                                                                                          currency)
        numbers.setdefault(role, number)
    return Bank(customers, days, start, latest, numbers)


def continued(bank: Bank, extra_days: int, seed: int = 7) -> list[Payment]:
    """The customers' payments on the ``extra_days`` days after the history, in time order, from the latest
    payment in the database on (the story's day after the history is the day it was seeded; the demo's alert
    queue and approvals are posted at that moment, and the bank's time does not go back)."""
    from core.demo.plan import build
    from core.demo.traffic import payer

    days = bank.days + extra_days
    plan = build(bank.customers, days, bank.start + timedelta(days=days, hours=12), seed)
    end = max(bank.start + timedelta(days=bank.days), bank.latest)
    out = []
    for e in plan.events:
        if e.at < end or payer(e) is None or e.credit[0] == "gl":
            continue
        out.append(Payment(e.at, bank.numbers[e.debit], bank.numbers[e.credit], e.amount, e.currency, e.code,
                           e.channel, e.counterparty, e.country, e.description, e.fraud))
    return out
