"""Bringing a payment in line with the provider: after a call's answer, a reconciliation, or a webhook.

Whatever the source, the provider's current state is applied forward-only (``store.NEXT``) and a
capture posts once (the ledger transfer id ``<payment>:capture`` is the idempotency key), so a webhook
replayed or arriving out of order changes nothing twice. A webhook is verified, recorded by its event
id (a replay is recognised and ignored) and then reconciled by reading the PaymentIntent itself, as
localstripe sends each webhook only once and a real provider may send them in any order.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.ledger import pending as pending_ops
from core.ledger.money import figure
from core.ledger.store import T
from core.ledger.views import TransferRequest
from core.payments import clearing, declines, store
from core.payments.errors import WebhookSignatureInvalid
from core.payments.provider import IntentState
from core.payments.views import PaymentView
from core.security.roles import Actor, Role

if TYPE_CHECKING:
    from core.payments.service import PaymentService

WEBHOOK_ACTOR = Actor(username="provider-webhook", role=Role.SYSTEM)


def apply(svc: PaymentService, actor: Actor, payment_id: str, state: IntentState, source: str,
          provider_event: str | None = None) -> PaymentView:
    """Apply ``state`` to the payment; post the capture if the provider says it succeeded."""
    now = svc.clock()
    with svc.engine.begin() as conn:
        row = store.get(conn, payment_id, lock=True)
        changes: dict = {}
        if row["provider_ref"] is None:
            changes["provider_ref"] = state.ref
        target = state.status
        if target == "processing":
            target = row["status"]
        if target != "succeeded" and store.advances(row["status"], target):
            changes["status"] = target
            detail = ""
            if target == "failed":
                changes["decline_code"] = state.decline_code or "card_declined"
                changes["message"] = detail = declines.operator_message(state.decline_code, state.message)
            elif target == "requires_action":
                detail = "the cardholder must approve the payment with their bank (3-D Secure)"
            elif target == "requires_capture" and row["fraud_decision"] == "review":
                detail = ("authorized; held for fraud review: an analyst or supervisor other than the one who took it "
                          "decides it in the Fraud queue (releasing captures, declining cancels)")
            store.add_event(conn, payment_id, target, target, actor=actor.username, source=source, at=now,
                            amount=state.amount if target == "requires_capture" else None, detail=detail)
            svc.record(conn, actor, f"payment.{target}", payment_id, {"status": row["status"]}, {"status": target})
        if changes:
            store.set_fields(conn, payment_id, now, **changes)
            svc.publish(conn, payment_id, changes.get("status", row["status"]))
    if changes.get("status") in ("canceled", "failed"):
        from core.payments import review

        review.release_hold(svc, actor, payment_id)
    if state.status == "succeeded" and row["captured"] == 0 and store.advances(row["status"], "succeeded"):
        with svc.engine.connect() as conn:
            requested = store.last_event_amount(conn, payment_id, "capture_requested")
        post_capture(svc, actor, payment_id, requested or state.captured or row["amount"], source)
    return svc.show(actor, payment_id, check=False)


def post_capture(svc: PaymentService, actor: Actor, payment_id: str, amount: int, source: str) -> None:
    """Card clearing -> the customer's account, once, with the payment row updated in the same transaction.

    A payment held for fraud review already has its capture as a pending transfer (``review.hold_id``):
    that hold is posted (in part for a partial capture) instead, which also closes its fraud alert."""
    from core.payments import review

    with svc.engine.connect() as conn:
        row = store.get(conn, payment_id)
    card_clearing = clearing.account_number(svc.ledger, actor, clearing.CARD, row["currency"])

    def also(conn, result) -> None:  # noqa: ANN001
        current = store.get(conn, payment_id, lock=True)
        if current["captured"] or not store.advances(current["status"], "succeeded"):
            return
        now = svc.clock()
        store.set_fields(conn, payment_id, now, captured=amount, status="succeeded")
        store.add_event(conn, payment_id, "captured", "succeeded", actor=actor.username, source=source, at=now,
                        amount=amount, transfer_id=result.id, detail=f"posted {card_clearing} -> {row['account_number']}")
        svc.record(conn, actor, "payment.capture", payment_id, {"status": current["status"]},
                   {"status": "succeeded", **figure(amount, row["currency"], "captured"),
                    "transfer": result.id})
        svc.publish(conn, payment_id, "succeeded")

    held = review.hold_state(svc, payment_id)
    if held is not None:
        if held == "pending":
            hold_amount = row["amount"]
            # The capture was authorized as a payment decision (PaymentService._authorize_decision: an analyst's
            # alert.disposition for a held payment, as the fraud queue posts it), not as transfer.resolve.
            pending_ops.resolve(svc.ledger, actor, review.hold_id(payment_id),
                                post=True, amount=None if amount >= hold_amount else amount, id=None)
        with svc.engine.begin() as conn:
            posted_id = conn.execute(select(T.c.id).where(T.c.pending_id == review.hold_id(payment_id),
                                                          T.c.kind == "post_pending")).scalar()
            also(conn, SimpleNamespace(id=posted_id or review.hold_id(payment_id)))
        return
    req = TransferRequest(id=review.hold_id(payment_id), debit=card_clearing, credit=row["account_number"],
                          amount=amount, currency=row["currency"], code="card_capture",
                          description=f"card payment {row['card_display']}"[:200], channel="card",
                          counterparty=row["card_token"])
    svc.ledger.transfer(actor, req, also=also, operation="card")


def reconcile(svc: PaymentService, actor: Actor, payment_id: str, source: str = "reconcile",
              provider_event: str | None = None) -> PaymentView:
    """Read the provider's PaymentIntent and apply it."""
    with svc.engine.connect() as conn:
        row = store.get(conn, payment_id)
    if row["provider_ref"] is None:
        return svc.show(actor, payment_id, check=False)  # the provider never answered: the desk retries with the card
    view = apply(svc, actor, payment_id, svc.provider.retrieve(row["provider_ref"]), source, provider_event)
    if view.status == "requires_capture" and view.fraud_decision == "review":
        from core.payments import review

        return review.follow(svc, actor, payment_id) or view  # a fraud-queue decision the provider has not heard of
    return view


def handle_webhook(svc: PaymentService, payload: bytes, signature: str) -> dict:
    """Verify, record once, reconcile. Returns {"outcome": "applied"|"duplicate"|"ignored", ...}.

    A bad signature raises WebhookSignatureInvalid (audited; nothing changes).
    """
    try:
        event = svc.provider.parse_webhook(payload, signature)
    except WebhookSignatureInvalid as err:
        with svc.engine.begin() as conn:
            svc.record(conn, WEBHOOK_ACTOR, "payment.webhook_rejected", "", None, {"reason": err.message})
        raise
    payment_id = event.metadata.get("qenex_payment") if event.metadata else None
    now = svc.clock()
    with svc.engine.begin() as conn:
        if event.intent is not None:
            payment_id = store.find_by_ref(conn, event.intent.ref) or payment_id
        if not payment_id or not store.exists(conn, payment_id):
            return {"outcome": "ignored", "event": event.id, "type": event.type, "reason": "not a payment of ours"}
        if store.has_event(conn, provider_event=event.id):
            return {"outcome": "duplicate", "event": event.id, "type": event.type, "payment": payment_id}
        row = store.get(conn, payment_id)
        store.add_event(conn, payment_id, f"webhook {event.type}", row["status"], actor=WEBHOOK_ACTOR.username,
                        source="webhook", at=now, provider_event=event.id,
                        detail=f"provider says {event.intent.status}" if event.intent else "")
    view = reconcile(svc, WEBHOOK_ACTOR, payment_id, source="webhook")
    return {"outcome": "applied", "event": event.id, "type": event.type, "payment": payment_id, "status": view.status}
