"""Two-phase transfers: post (in full or in part) or void a pending transfer, and expire timed-out holds."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from core.ledger import desk_controls, events, money, state, store
from core.ledger.errors import (
    IdConflict, InvalidAmount, PendingAlreadyResolved, PendingExpired, PendingNotFound, PostExceedsPending,
)
from core.ledger.posting import MAX_ID, check_id
from core.ledger.views import TransferResult
from core.security.roles import Actor, Permission, Role

if TYPE_CHECKING:
    from core.ledger.service import Ledger

T = store.T
# Pending transfers whose timeout is not the bank's to lift for a fraud review: an account hold's expiry, and a
# card capture's (the issuer's authorization lapses on its own).
KEEP_TIMEOUT = ("hold", "card_capture")


def resolve(ledger: Ledger, actor: Actor, pending_id: str, *, post: bool, amount: int | None,
            id: str | None) -> TransferResult:
    """Post or void ``pending_id`` exactly once; a retry with the same id returns the first result."""
    check_id(pending_id, "pending transfer id")
    _check_hold_permission(ledger, actor, pending_id)
    expired: list[datetime] = []
    try:
        result = ledger.run(lambda conn: resolve_on(ledger, conn, actor, pending_id, post=post, amount=amount, id=id,
                                                    expired=expired))
    except desk_controls.GLMovementRefused as err:
        ledger._refused(actor, err, pending_id)
        raise
    if expired:
        at = f"{expired[0]:%Y-%m-%d %H:%M:%S} UTC"
        raise PendingExpired(
            f"pending transfer {pending_id} expired at {at} (its timeout passed), so its hold was released and "
            + ("nothing was posted; make a new transfer if the payment should still go ahead" if post
               else "there is nothing left to void"), id=pending_id, expired_at=expired[0].isoformat())
    return result


def resolve_on(ledger: Ledger, conn: Connection, actor: Actor, pending_id: str, *, post: bool, amount: int | None,
               id: str | None, expired: list[datetime], four_eyes: bool = False) -> TransferResult:
    """``resolve`` inside the caller's transaction (a fraud disposition resolves the hold with its decision).

    A hold whose timeout has passed expires instead (neither posts nor voids) and its expiry time is
    appended to ``expired``: the caller keeps that or rolls back. Every path closes the hold's fraud alert.
    A transfer waiting for a second person (core.approvals) is posted only by its approval (``four_eyes``,
    set by core.approvals alone): anyone else gets ApprovalRequired; voiding it withdraws the request.
    """
    verb = "post" if post else "void"
    new_id = check_id(id) if id is not None else f"{pending_id}:{verb}"[:MAX_ID]
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        raise InvalidAmount(f"the amount to post must be a positive number of minor units, got {amount!r}")
    fingerprint = hashlib.sha256(f"{verb}|{pending_id}|{amount}".encode()).hexdigest()
    head = store.transfers_by_id(conn, [pending_id]).get(pending_id)
    if head is None or head["kind"] != "pending":
        raise PendingNotFound(f"no pending transfer {pending_id}", id=pending_id)
    now = ledger.clock()
    accounts = {a.id: a for a in store.lock_accounts(
        conn, ids=(head["debit_account_id"], head["credit_account_id"]), now=now)}
    rows = store.transfers_by_id(conn, [pending_id, new_id], lock=True)
    pend, previous = rows[pending_id], rows.get(new_id)
    nums = {a.id: a.number for a in accounts.values()}
    if previous is not None:
        if previous["fingerprint"] != fingerprint:
            raise IdConflict(f"transfer id {new_id} was already used for a different transfer", id=new_id)
        return _result(previous, nums, replayed=True)
    if pend["state"] != "pending":
        raise PendingAlreadyResolved(f"pending transfer {pending_id} is already {pend['state']}", id=pending_id)
    debit, credit = accounts[pend["debit_account_id"]], accounts[pend["credit_account_id"]]
    if post and not four_eyes:
        _refuse_if_waiting(conn, pending_id)
    if is_expired(pend, now):  # its timeout passed: it expires now, and neither posts nor voids
        _expire(ledger, conn, actor, pend, debit, credit)
        expired.append(pend["expires_at"])
        return _result(pend, nums)
    posted = pend["amount"] if amount is None else amount
    if posted > pend["amount"]:
        raise PostExceedsPending(f"cannot post {posted} of a pending {pend['amount']}", id=pending_id)
    gl_reason = None
    if post:
        state.check_pair(debit, credit, pend["currency"])
        if desk_controls.check_resolve(actor, debit, credit, pend["code"], pend["description"] or ""):
            gl_reason = pend["description"]
    state.release(debit, credit, pend["amount"])
    entries = []
    if post:
        state.post(debit, credit, posted)
        entries = [(new_id, debit.id, -posted, debit.balance, now), (new_id, credit.id, posted, credit.balance, now)]
    row = {
        "id": new_id, "debit_account_id": debit.id, "credit_account_id": credit.id,
        "amount": posted, "currency": pend["currency"], "kind": "post_pending" if post else "void_pending",
        "state": "posted" if post else "resolved", "pending_id": pending_id, "reverses_id": None,
        "expires_at": None, "code": pend["code"], "description": pend["description"], "channel": pend["channel"],
        "counterparty": pend["counterparty"], "counterparty_country": pend["counterparty_country"],
        "device": pend["device"], "link_id": None, "fingerprint": fingerprint, "created_by": actor.username,
        "created_at": now,
    }
    store.insert_transfers(conn, [row])
    store.insert_entries(conn, entries)
    store.save_accounts(conn, (debit, credit))
    store.set_transfer_state(conn, pending_id, "posted" if post else "voided")
    ledger.record(conn, actor, f"transfer.{verb}_pending", pending_id, {"state": "pending"},
                  {"state": "posted" if post else "voided", **money.figure(posted, pend["currency"]), "id": new_id})
    if gl_reason is not None:
        ledger.record(conn, actor, "transfer.gl_movement", new_id, None, {"reason": gl_reason, "pending": pending_id})
    events.completed(conn, new_id, pending_id, "posted" if post else "voided", [debit.number, credit.number])
    _close_alert(ledger, conn, actor, pending_id, "posted" if post else "voided", now)
    if not four_eyes:
        _close_request(ledger, conn, actor, pending_id, "posted" if post else "voided", now)
    _follow_order(ledger, conn, actor, pending_id, "posted" if post else "voided", now)
    return _result(row, nums)


def _check_hold_permission(ledger: Ledger, actor: Actor, pending_id: str) -> None:
    """An account hold (core.teller.holds, code "hold") is released or collected only with hold.release."""
    with ledger.engine.connect() as conn:
        code = conn.execute(select(T.c.code).where(T.c.id == pending_id)).scalar()
    if code == "hold":
        ledger.authorize(actor, Permission.HOLD_RELEASE, pending_id)
        if getattr(ledger, "four_eyes", None) is not None and actor.role is not Role.SYSTEM:
            from core.approvals.errors import ApprovalRequired

            raise ApprovalRequired(f"releasing a hold needs a second person: ask for the release (qenex approvals, or "
                                   f"the Holds tab) and another supervisor approves it; {pending_id} was not released",
                                   id=pending_id)


def hold_for_review(conn: Connection, transfer_id: str, now: datetime) -> bool:
    """QA4 #2: money an open fraud alert holds stays held until the analyst decides. Lift the timeout of the
    pending transfer ``transfer_id`` (if it is one, still pending and not past its timeout) so no expiry (the
    balance reads, ``expire``'s sweep, ``qenex transfer expire``) releases it meanwhile; the disposition posts
    or voids it. Account holds and card captures keep their expiry (``KEEP_TIMEOUT``). Returns True when a timeout was lifted.

    Callers: an alert raised on a pending transfer (``core.cases.intake``) and a four-eyes approval of a
    transfer still held for review (``core.approvals.execute``); a hold placed for review at posting time gets
    no timeout in the first place (``Ledger._transfer``, ``core.ledger.desk``). A transfer whose four-eyes
    request still waits keeps the request's expiry: unapproved in time, it is not sent."""
    lifted = bool(conn.execute(T.update().where(
        T.c.id == transfer_id, T.c.kind == "pending", T.c.state == "pending", T.c.code.not_in(KEEP_TIMEOUT),
        T.c.expires_at.is_not(None), T.c.expires_at > now).values(expires_at=None)).rowcount)
    if lifted:  # what is held with it follows (a payment order's fee: core.payments.order_fees)
        from core.payments.order_fees import held_for_review  # payments sit above the ledger

        held_for_review(conn, transfer_id, now)
    return lifted


def is_expired(pend: dict[str, Any], now: datetime) -> bool:
    """A pending transfer whose timeout has passed (TigerBeetle: it can no longer be posted or voided)."""
    return pend["state"] == "pending" and pend["expires_at"] is not None and pend["expires_at"] <= now


def expire(ledger: Ledger, actor: Actor, limit: int) -> int:
    """Release every hold whose timeout has passed (each in its own short transaction)."""
    now = ledger.clock()
    with ledger.engine.connect() as conn:
        due = list(conn.execute(select(T.c.id).where(T.c.state == "pending", T.c.expires_at <= now)
                                .order_by(T.c.expires_at).limit(limit)).scalars())
    count = 0
    for pending_id in due:
        def work(conn: Connection, pending_id: str = pending_id) -> int:
            head = store.transfers_by_id(conn, [pending_id])[pending_id]
            accounts = {a.id: a for a in store.lock_accounts(
                conn, ids=(head["debit_account_id"], head["credit_account_id"]), now=ledger.clock())}
            pend = store.transfers_by_id(conn, [pending_id], lock=True)[pending_id]
            if pend["state"] != "pending":
                return 0
            _expire(ledger, conn, actor, pend, accounts[pend["debit_account_id"]], accounts[pend["credit_account_id"]])
            return 1
        count += ledger.run(work)
    return count


def _expire(ledger: Ledger, conn: Connection, actor: Actor, pend: dict[str, Any], debit, credit) -> None:  # noqa: ANN001
    state.release(debit, credit, pend["amount"], expired=True)
    store.save_accounts(conn, (debit, credit))
    store.set_transfer_state(conn, pend["id"], "expired")
    pend["state"] = "expired"
    ledger.record(conn, actor, "transfer.expire", pend["id"], {"state": "pending"}, {"state": "expired"})
    events.completed(conn, pend["id"], pend["id"], "expired", [debit.number, credit.number])
    _close_alert(ledger, conn, actor, pend["id"], "expired", ledger.clock())
    _close_request(ledger, conn, actor, pend["id"], "expired", ledger.clock())
    _follow_order(ledger, conn, actor, pend["id"], "expired", ledger.clock())


def _refuse_if_waiting(conn: Connection, pending_id: str) -> None:
    from core.approvals.hooks import refuse_if_waiting  # four eyes sits above the ledger

    refuse_if_waiting(conn, pending_id)


def _close_request(ledger: Ledger, conn: Connection, actor: Actor, pending_id: str, state: str, now: datetime) -> None:
    """A held transfer resolved outside the approvals inbox (voided by a fraud decision, expired) closes
    its approval request with it."""
    from core.approvals.hooks import transfer_resolved

    transfer_resolved(ledger, conn, actor, pending_id, state, now)


def _follow_order(ledger: Ledger, conn: Connection, actor: Actor, pending_id: str, state: str, now: datetime) -> None:
    """A payment order's held money resolved: its fee follows it, and a released order is canceled."""
    from core.payments.order_fees import transfer_resolved  # payments sit above the ledger

    transfer_resolved(ledger, conn, actor, pending_id, state, now)


def _close_alert(ledger: Ledger, conn: Connection, actor: Actor, pending_id: str, state: str, now: datetime) -> None:
    """Every way a hold ends (desk, command line, expiry, a disposition) closes its fraud alert with it."""
    from core.cases.holds import hold_resolved  # case work sits above the ledger; imported when a hold ends

    hold_resolved(conn, actor, pending_id, state, now, ledger.record)


def _result(row: dict[str, Any], nums: dict[int, str], replayed: bool = False) -> TransferResult:
    return TransferResult(id=row["id"], state=row["state"], kind=row["kind"], amount=row["amount"],
                          currency=row["currency"], debit=nums[row["debit_account_id"]],
                          credit=nums[row["credit_account_id"]], created_at=row["created_at"], replayed=replayed)
