"""Doing what a request asked for, inside the approving transaction (so the request and its action commit
together), and undoing its hold when it is rejected or expires."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from core.approvals.store import MONEY_KINDS, ApprovalView
from core.ledger import accounts as account_ops
from core.ledger import pending as pending_ops
from core.ledger.money import figure, format_minor
from core.persistence.models import FraudAlert
from core.security.roles import Actor
from core.teller import holds
from core.teller.events import publish

if TYPE_CHECKING:
    from core.ledger.service import Ledger

H = holds.H
_AL = FraudAlert.__table__


def approve(ledger: Ledger, conn: Connection, checker: Actor, req: ApprovalView, note: str) -> str:
    """Carry out ``req`` as ``checker``; returns what happened, in words. Ledger errors propagate (the
    transaction rolls back and the request stays pending)."""
    if req.kind in MONEY_KINDS:
        assert req.transfer_id is not None
        alert = open_alert(conn, req.transfer_id)
        if alert is not None:  # QA3 #3: four eyes does not settle the fraud question; the analyst decides it
            pending_ops.hold_for_review(conn, req.transfer_id, ledger.clock())  # QA4 #2: no timeout releases it
            return (f"approved; still held for fraud review (alert #{alert}): it posts when an analyst clears the "
                    "alert and is released if they confirm fraud")
        expired: list = []
        result = pending_ops.resolve_on(ledger, conn, checker, req.transfer_id, post=True, amount=None, id=None,
                                        expired=expired, four_eyes=True)
        return f"posted as {result.id}"
    if req.kind in ("freeze", "close"):
        assert req.account is not None
        account_ops.set_status(ledger, conn, checker, req.account, "frozen" if req.kind == "freeze" else "closed")
        return "account frozen" if req.kind == "freeze" else "account closed"
    if req.kind == "hold_release":
        assert req.hold_id is not None
        return release_hold(ledger, conn, checker, req.hold_id, note or req.note)
    if req.kind == "overdraft":
        assert req.account is not None and req.amount is not None
        acc = account_ops.set_overdraft(ledger, conn, checker, req.account, req.amount)
        return f"overdraft limit set to {format_minor(req.amount, acc.currency)}"
    raise AssertionError(f"unknown approval kind {req.kind}")


def open_alert(conn: Connection, transfer_id: str | None) -> int | None:
    """The id of the fraud alert still open on ``transfer_id`` (the fraud screen held it for review), or None."""
    if transfer_id is None:
        return None
    return conn.execute(select(_AL.c.id).where(_AL.c.transfer_id == transfer_id, _AL.c.status != "closed")
                        .order_by(_AL.c.id).limit(1)).scalar()


def release_hold(ledger: Ledger, conn: Connection, checker: Actor, hold_pk: int, note: str) -> str:
    """``core.teller.holds.release`` in the caller's transaction, by the checker."""
    now = ledger.clock()
    hold = holds.get(conn, hold_pk, now)
    if hold.state != "active":
        raise holds.HoldNotActive(f"hold {hold_pk} on {hold.account} is already {hold.state}; nothing to release",
                                  hold=hold_pk)
    pending_ops.resolve_on(ledger, conn, checker, hold.transfer_id, post=False, amount=None, id=None, expired=[],
                           four_eyes=True)
    conn.execute(update(H).where(H.c.id == hold_pk, H.c.released_at.is_(None))
                 .values(released_by=checker.username, released_at=now, release_note=note[:200]))
    after = {"hold": hold_pk, **figure(hold.amount, hold.currency), "note": note}
    ledger.record(conn, checker, "hold.release", hold.account, {"state": "active"}, {"state": "released", **after})
    publish(conn, "hold.released", {"account": hold.account, **after})
    return f"hold {hold_pk} released"


def undo(ledger: Ledger, conn: Connection, actor: Actor, req: ApprovalView) -> str:
    """Release what ``req`` held (its pending transfer is voided, or expires if its time passed)."""
    if req.kind not in MONEY_KINDS or req.transfer_id is None:
        return {"freeze": "the account stays as it is", "close": "the account stays open",
                "hold_release": "the hold stays",
                "overdraft": "the overdraft limit stays as it was"}.get(req.kind, "nothing changed")
    expired: list = []
    try:
        pending_ops.resolve_on(ledger, conn, actor, req.transfer_id, post=False, amount=None, id=None,
                               expired=expired, four_eyes=True)
    except pending_ops.PendingAlreadyResolved:
        return "the held transfer was already resolved"
    return "held funds released at expiry" if expired else "held funds released"
