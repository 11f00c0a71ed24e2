"""The fee of a payment order follows the payment: charged only when the payment goes out.

An order's fee is its own ledger transfer ``<order>:fee`` (customer -> fee income, ``core.payments.fees``).

- When the order's money is posted at once, the fee posts with it (same transaction).
- When the order's money is held (four eyes: waiting for a supervisor; or held for fraud review), the fee
  is held too: a pending ``<order>:fee`` that reserves it on the account and expires with the payment (or,
  while an open fraud alert holds the payment, does not expire either: ``held_for_review``). It
  is posted when the payment is (the approval, or an analyst's release), and voided or expired when the
  payment is not (rejected, withdrawn, expired, refused by the fraud review): the customer never pays it.
- A fee already posted while the payment does not go out (an order cancelled before it was sent, a
  return by the rail, or an order from before fees were held) is credited back by ``<order>:fee-return``.

``transfer_resolved`` is called by the ledger (``core.ledger.pending``) inside the transaction that
resolves any pending transfer; an order whose money was released is ``canceled`` there too, with the reason.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from core.ledger import money
from core.ledger import store as ledger_store
from core.ledger.views import TransferRequest
from core.payments import live
from core.persistence.models import ApprovalRequest, PaymentOrder
from core.security.roles import Actor

O, T, AR = PaymentOrder.__table__, ledger_store.T, ApprovalRequest.__table__

# Why an order's money was released, in words (kept as the order's return_reason when it is canceled).
_WHY = {"expired": "not sent: the held funds expired before a decision",
        "voided": "not sent: the held payment was refused"}


def fee_id(order_id: str) -> str:
    return f"{order_id}:fee"


def fee_state(conn: Connection, order_id: str) -> str | None:
    """The state of the order's fee transfer (posted | pending | voided | expired), None when it has none."""
    return conn.execute(select(T.c.state).where(T.c.id == fee_id(order_id))).scalar()


def hold_timeout(conn: Connection, transfer_id: str, now: datetime) -> int | None:
    """Seconds until the held payment ``transfer_id`` expires (None: it has no timeout), for its fee's hold."""
    expires = conn.execute(select(T.c.expires_at).where(T.c.id == transfer_id)).scalar()
    if expires is None:
        return None
    return max(1, int((expires - now).total_seconds() + 0.999))


def held_for_review(conn: Connection, transfer_id: str, now: datetime) -> None:
    """The order's money ``transfer_id`` is held until an analyst decides (its timeout was lifted,
    ``core.ledger.pending.hold_for_review``): its held fee no longer expires either (QA4 #2)."""
    order_id = conn.execute(select(O.c.id).where(O.c.transfer_id == transfer_id, O.c.status == "created")).scalar()
    if order_id is not None:
        conn.execute(update(T).where(T.c.id == fee_id(order_id), T.c.state == "pending", T.c.expires_at.is_not(None),
                                     T.c.expires_at > now).values(expires_at=None))


def transfer_resolved(ledger: Any, conn: Connection, actor: Actor, transfer_id: str, state: str,
                      now: datetime) -> None:
    """The held transfer ``transfer_id`` was posted, voided or expired: if it is a payment order's money,
    its fee follows (posted, voided/expired, or credited back) and a released order is canceled."""
    order = conn.execute(select(O).where(O.c.transfer_id == transfer_id, O.c.status == "created")).first()
    if order is None:
        return
    order = dict(order._mapping)
    if state == "posted":
        if fee_state(conn, order["id"]) == "pending":
            _resolve_fee(ledger, conn, actor, order["id"], post=True)
        return
    why = _WHY.get(state, f"not sent: {state}")
    approval = conn.execute(select(AR.c.state).where(AR.c.transfer_id == transfer_id)).scalar()
    if approval == "pending" and state == "voided":  # decided in the approvals inbox: rejected, or withdrawn
        why = "not sent: the approval was refused or withdrawn"
    cancel_in(ledger, conn, actor, order, why, closing=None)


def cancel_in(ledger: Any, conn: Connection, actor: Actor, order: dict, why: str, closing: str | None) -> str:
    """Mark a created order canceled with ``why`` and give its fee back (void a held fee, credit back a
    posted one), inside the caller's transaction. Returns what happened to the fee, in words."""
    from core.payments.errors import InvalidState

    done = conn.execute(update(O).where(O.c.id == order["id"], O.c.status == "created").values(
        status="canceled", return_reason=why[:140], closing_transfer_id=closing, updated_at=ledger.clock()))
    if done.rowcount != 1:
        raise InvalidState(f"order {order['id']} changed meanwhile; look at it again")
    fee = refund_fee(ledger, conn, actor, order, "canceled")
    after = {"status": "canceled", "reason": why, "fee": fee}
    if closing:
        after["transfer"] = closing
    ledger.record(conn, actor, "order.cancel", order["id"], {"status": "created"}, after)
    live.publish(conn, "payment_order.updated", {"id": order["id"], "status": "canceled"})
    return fee


def refund_fee(ledger: Any, conn: Connection, actor: Actor, order: dict, verb: str) -> str:
    """The fee of an order that did not go out: a held fee is voided, a posted one credited back once
    (``<order>:fee-return``). Returns what happened, in words ("no fee" when it had none)."""
    state = fee_state(conn, order["id"])
    if state is None:
        return "no fee"
    if state == "pending":
        _resolve_fee(ledger, conn, actor, order["id"], post=False)
        return "fee released (never charged)"
    if state != "posted":
        return "fee released (never charged)"
    row = conn.execute(select(T.c.amount, T.c.debit_account_id, T.c.credit_account_id)
                       .where(T.c.id == fee_id(order["id"]))).first()
    if conn.execute(select(T.c.id).where(T.c.id == f"{order['id']}:fee-return")).first() is not None:
        return "fee already credited back"
    currency = order["currency"]
    nums = ledger_store.account_numbers(conn, [row.debit_account_id, row.credit_account_id])
    customer, fee_account = nums[row.debit_account_id], nums[row.credit_account_id]
    ledger.transfer_in(conn, actor, TransferRequest(
        id=f"{order['id']}:fee-return", debit=fee_account, credit=customer, amount=row.amount, currency=currency,
        code="fee", description=f"fee back: {order['id']} {verb}", channel="transfer"), operation="fee")
    return f"fee of {money.format_minor(row.amount, currency)} credited back"


def _resolve_fee(ledger: Any, conn: Connection, actor: Actor, order_id: str, *, post: bool) -> None:
    from core.ledger import pending as pending_ops

    pending_ops.resolve_on(ledger, conn, actor, fee_id(order_id), post=post, amount=None, id=None,
                           expired=[], four_eyes=True)

