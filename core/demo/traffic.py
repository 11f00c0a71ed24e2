"""The demo bank's payments as the fraud screen sees them, without a database (benchmarks, tests).

The ledger screens every transfer a customer pays (see ``core.ledger.service.Ledger._screen``):
the "card" is the paying customer in one currency, the counterparty is the one the channel names
or else the credited account. Here accounts are named by their role in the plan (``cust-12``,
``merchant-3-USD``) instead of their account numbers; features only compare names, so the
feature rows are those the seeded database gives (up to transfers the ledger refused for funds).
"""
from __future__ import annotations

from core.demo.plan import Event, Plan
from core.fraud.txn import Txn
from core.ledger.money import exponent


def account_name(role: tuple) -> str:
    return "-".join(str(part) for part in role)


def payer(event: Event) -> int | None:
    """The paying customer of a plan event, or None (bank GL accounts pay salaries and deposits)."""
    kind = event.debit[0]
    return int(event.debit[1]) if kind in ("cust", "eur") else None


def to_txn(i: int, event: Event) -> Txn:
    customer = payer(event)
    return Txn(f"demo-{i:07d}", f"{customer}:{event.currency}", event.counterparty or account_name(event.credit),
               event.country.upper() if event.country else None, event.amount / 10 ** exponent(event.currency),
               int(event.at.timestamp()), event.channel, None)


def payments(plan: Plan) -> tuple[list[Txn], list[bool]]:
    """The plan's customer-paid transfers in time order, with their fraud flags."""
    txns, frauds = [], []
    for i, event in enumerate(plan.events):
        if payer(event) is not None:
            txns.append(to_txn(i, event))
            frauds.append(event.fraud)
    return txns, frauds
