"""Card payments the fraud screen held for review, resolvable from the fraud queue like any held transfer.

A card payment is screened under the id of its capture posting, ``<payment>:capture``. When the screen
says *review*, the authorization is not captured: a pending ledger transfer with that id (card clearing
-> the customer's account, pending for ``HOLD_SECONDS``) stands for it, and the screen's alert names that
transfer. So an analyst resolves it in the fraud queue:

- false positive: the disposition posts the hold (the customer is credited) and ``follow`` captures the
  authorization at the provider;
- confirmed fraud: the disposition voids the hold and ``follow`` cancels the authorization.

A supervisor capturing or cancelling the payment on the Payments page resolves the hold the same way
(which closes its alert). ``follow`` runs after every disposition (``FraudDesk.after_dispose``) and on
``payments sync``; a provider that cannot be reached leaves the payment as it is, and the next sync retries.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.errors import QenexError
from core.ledger import pending as pending_ops
from core.ledger import store as ledger_store
from core.ledger.views import TransferRequest
from core.payments import clearing, store
from core.payments.views import PaymentView
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.payments.service import PaymentService

log = logging.getLogger(__name__)
T = ledger_store.T
HOLD_SECONDS = 7 * 24 * 3600  # a card authorization lasts about seven days at most issuers


def hold_id(payment_id: str) -> str:
    """The ledger id of the payment's capture (and of its review hold): what the fraud alert names."""
    return f"{payment_id}:capture"


def is_held(row: dict) -> bool:
    """A payment the fraud screen sent to review and nobody has decided yet: a checker's (analyst's or
    supervisor's) decision, never the maker's (core.payments.service)."""
    return row["fraud_decision"] == "review" and row["status"] in ("requires_capture", "requires_action")


def open_alert(conn, payment_id: str) -> int | None:  # noqa: ANN001 - a SQLAlchemy Connection
    """The number of the fraud alert that holds ``payment_id`` for review while it is not closed, else None."""
    from core.persistence.models import FraudAlert

    alerts = FraudAlert.__table__
    return conn.execute(select(alerts.c.id).where(alerts.c.transfer_id == hold_id(payment_id),
                                                  alerts.c.status != "closed")).scalar()


def payment_of(transfer_id: str) -> str | None:
    return transfer_id[: -len(":capture")] if transfer_id.endswith(":capture") else None


def hold_state(svc: PaymentService, payment_id: str) -> str | None:
    """pending | posted | voided | expired for a payment held for review, None when there is no hold."""
    with svc.engine.connect() as conn:
        row = conn.execute(select(T.c.kind, T.c.state).where(T.c.id == hold_id(payment_id))).first()
    return row.state if row is not None and row.kind == "pending" else None


def posted_amount(svc: PaymentService, payment_id: str) -> int | None:
    with svc.engine.connect() as conn:
        return conn.execute(select(T.c.amount).where(T.c.pending_id == hold_id(payment_id),
                                                     T.c.kind == "post_pending")).scalar()


def place_hold(svc: PaymentService, actor: Actor, view: PaymentView) -> None:
    """Hold the authorized amount as a pending capture (once) so the fraud queue can resolve it."""
    card_clearing = clearing.account_number(svc.ledger, actor, clearing.CARD, view.currency)

    def also(conn, result) -> None:  # noqa: ANN001
        if result.replayed:
            return
        store.add_event(conn, view.id, "held_for_review", view.status, actor=actor.username, source="desk",
                        at=svc.clock(), amount=view.amount, transfer_id=result.id,
                        detail="the fraud queue releases (captures) or declines (cancels) it")

    svc.ledger.transfer(actor, TransferRequest(
        id=hold_id(view.id), debit=card_clearing, credit=view.account, amount=view.amount, currency=view.currency,
        pending=True, timeout_seconds=HOLD_SECONDS, code="card_capture",
        description=f"card payment {view.card} (held for fraud review)"[:200], channel="card",
        counterparty=view.card_token), also=also, operation="card")


def follow(svc: PaymentService, actor: Actor, payment_id: str) -> PaymentView | None:
    """After the hold was resolved elsewhere (the fraud queue): capture or cancel at the provider."""
    from core.payments import sync

    row = svc._row(payment_id)  # noqa: SLF001 - the service's own row reader
    if row["status"] != "requires_capture" or row["provider_ref"] is None:
        return None
    state = hold_state(svc, payment_id)
    try:
        if state == "posted":
            amount = posted_amount(svc, payment_id) or row["amount"]
            with svc.engine.begin() as conn:
                store.add_event(conn, payment_id, "capture_requested", row["status"], actor=actor.username,
                                source="fraud queue", at=svc.clock(), amount=amount,
                                detail="released by the fraud review")
            answer = svc.provider.capture(row["provider_ref"], amount, idempotency_key=f"{payment_id}:capture")
            return sync.apply(svc, actor, payment_id, answer, "fraud queue")
        if state in ("voided", "expired"):
            answer = svc.provider.cancel(row["provider_ref"], idempotency_key=f"{payment_id}:cancel")
            return sync.apply(svc, actor, payment_id, answer, "fraud queue")
    except QenexError as err:  # the provider step waits for the next sync; the ledger already reflects the decision
        log.warning("payment %s: the provider step after the fraud review failed: %s", payment_id, err.message)
        with svc.engine.begin() as conn:
            store.add_event(conn, payment_id, "provider_unreachable", row["status"], actor=actor.username,
                            source="fraud queue", at=svc.clock(), detail=f"{err.message}; run payments sync to retry")
    return None


def release_hold(svc: PaymentService, actor: Actor, payment_id: str) -> None:
    """The authorization ended (canceled, failed): void a hold that is still pending."""
    if hold_state(svc, payment_id) == "pending":  # the cancel was authorized as the payment's decision
        pending_ops.resolve(svc.ledger, actor, hold_id(payment_id), post=False, amount=None, id=None)
