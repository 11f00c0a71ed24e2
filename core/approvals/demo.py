"""A lived-in approvals inbox for the demo bank: requests from the demo teller ``tom`` that wait for the
supervisor ``sam`` (a transfer above the teller limit, an account freeze, a hold release)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.approvals.service import Approvals
from core.errors import QenexError
from core.ledger import queries, store
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TOM = Actor("tom", Role.TELLER, device="demo-desk")


def seed_approvals(approvals: Approvals, teller) -> int:  # noqa: ANN001 - core.teller.service.Teller
    """Make up to three waiting requests; returns how many were made (refusals just make fewer)."""
    ledger, made = approvals.ledger, 0
    now = ledger.clock()
    A = store.A
    with ledger.engine.connect() as conn:
        numbers = list(conn.execute(select(A.c.number).where(A.c.customer_id.is_not(None), A.c.currency == "USD",
                                                             A.c.status == "open").order_by(A.c.id).limit(400)).scalars())
        views = sorted((queries.account_view(conn, n, now) for n in numbers), key=lambda v: -v.available)
    if len(views) < 4:
        return 0
    rich, other, held, payee = views[0], views[1], views[2], views[-1]
    with ledger.engine.connect() as conn:
        limit = approvals.policy.limit(conn, Role.TELLER.value, "USD") or 0
    steps = []
    if rich.available > limit + 1:
        amount = min(rich.available - 1, limit + 2_500_00)
        steps.append(lambda: ledger.transfer(TOM, TransferRequest(
            id="demo-approval-1", debit=rich.number, credit=payee.number, amount=amount, currency="USD",
            description="house deposit, customer at the desk")))
    steps.append(lambda: approvals.request_status(TOM, other.number, "frozen", "customer reports card and phone stolen"))
    if held.available > 200_00:
        def release() -> object:
            hold = teller.place_hold(SYSTEM_ACTOR, held.number, 150_00, "cheque", now + timedelta(days=4),
                                     "cheque 7781 from Fair Bank", hold_id="demo-approval-hold")
            return approvals.request_hold_release(TOM, hold.id, "the paying bank confirmed the cheque")
        steps.append(release)
    for step in steps:
        try:
            step()
            made += 1
        except QenexError:
            pass
    return made
