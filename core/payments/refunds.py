"""Refunds: reserve, ask the provider, then post (or release) — never above what was captured.

1. One transaction holds the amount on the customer's account (a pending ledger transfer customer ->
   card clearing, id ``<payment>:rf:<request>``) and raises the payment's ``refunded`` only if
   ``refunded + amount <= captured``; otherwise RefundExceedsCaptured and nothing is written. The core
   checks this itself: localstripe does not, and a provider's check comes too late to stop the ledger.
2. The provider refunds with the same id as its idempotency key.
3. Success posts the hold; a decline or refusal voids it and lowers ``refunded`` again. An unreachable
   provider leaves the hold: retrying with the same request id asks the provider again (it recognises
   the key) and posts once.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import update

from core.errors import QenexError
from core.ledger.money import figure, format_minor
from core.ledger.views import TransferRequest
from core.payments import checks, clearing, funds, store
from core.payments.errors import InvalidState, ProviderUnavailable, RefundExceedsCaptured
from core.payments.views import PaymentView
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.payments.service import PaymentService

P = store.P


def refund(svc: PaymentService, actor: Actor, payment_id: str, amount: int | None,
           request_id: str | None) -> PaymentView:
    row = svc._row(payment_id)  # noqa: SLF001 - the service's own row reader
    cur = row["currency"]
    if row["captured"] == 0:
        raise InvalidState(f"payment {payment_id} is {row['status']}: nothing was captured, so there is nothing to "
                           "refund (cancel an authorization instead)")
    left = row["captured"] - row["refunded"]
    amount = left if amount is None else amount
    amount = checks.refund(amount, row["captured"], row["refunded"], cur, payment_id)
    funds.check_payer(svc.engine, row["account_number"], cur, amount, what="this refund")
    rid = (request_id or uuid.uuid4().hex)[:20]
    hold_id = f"{payment_id}:rf:{rid}"
    card_clearing = clearing.account_number(svc.ledger, actor, clearing.CARD, cur)

    def reserve(conn, result) -> None:  # noqa: ANN001
        if result.replayed:
            return
        done = conn.execute(update(P).where(P.c.id == payment_id, P.c.refunded + amount <= P.c.captured)
                            .values(refunded=P.c.refunded + amount, updated_at=svc.clock()))
        if done.rowcount != 1:
            raise RefundExceedsCaptured(f"a refund of {format_minor(amount, cur)} is more than is left to refund "
                                        f"on payment {payment_id}: another refund was made meanwhile; look again")
        store.add_event(conn, payment_id, "refund_requested", row["status"], actor=actor.username, source="desk",
                        at=svc.clock(), amount=amount, transfer_id=hold_id, detail="funds held on the account")
        svc.record(conn, actor, "payment.refund_requested", payment_id, None,
                   {**figure(amount, cur), "hold": hold_id})

    svc.ledger.transfer(actor, TransferRequest(
        id=hold_id, debit=row["account_number"], credit=card_clearing, amount=amount, currency=cur, pending=True,
        code="card_refund", description=f"refund to {row['card_display']}"[:200], channel="card",
        counterparty=row["card_token"]), also=reserve, operation="card")
    try:
        state = svc.provider.refund(row["provider_ref"], amount, idempotency_key=hold_id)
    except ProviderUnavailable:
        raise
    except QenexError as err:
        svc.ledger.void_pending(actor, hold_id)
        _settle(svc, actor, payment_id, amount, hold_id, ok=False, detail=err.message)
        raise
    if state.status == "failed":
        svc.ledger.void_pending(actor, hold_id)
        _settle(svc, actor, payment_id, amount, hold_id, ok=False, detail="the provider refused the refund")
        raise InvalidState("the provider refused the refund; nothing moved")
    posted = svc.ledger.post_pending(actor, hold_id)
    _settle(svc, actor, payment_id, amount, posted.id, ok=True, detail=f"provider refund {state.ref}")
    return svc.show(actor, payment_id, check=False)


def _settle(svc: PaymentService, actor: Actor, payment_id: str, amount: int, transfer_id: str, *, ok: bool,
            detail: str) -> None:
    kind = "refunded" if ok else "refund_failed"
    now = svc.clock()
    with svc.engine.begin() as conn:
        if store.has_event(conn, payment_id=payment_id, kind=kind, transfer_id=transfer_id):
            return
        row = store.get(conn, payment_id, lock=True)
        changes = {}
        if not ok:
            changes["refunded"] = row["refunded"] - amount
        elif row["refunded"] == row["captured"] and store.advances(row["status"], "refunded"):
            changes["status"] = "refunded"
        if changes:
            store.set_fields(conn, payment_id, now, **changes)
        status = changes.get("status", row["status"])
        store.add_event(conn, payment_id, kind, status, actor=actor.username, source="desk", at=now, amount=amount,
                        transfer_id=transfer_id, detail=detail)
        svc.record(conn, actor, f"payment.{kind}", payment_id, None,
                   {**figure(amount, row["currency"]), "transfer": transfer_id})
        svc.publish(conn, payment_id, status)
