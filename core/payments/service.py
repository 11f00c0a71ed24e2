"""Card payments: create (tokenise, screen, authorize), confirm (3-D Secure), capture, refund, cancel, read.

Money moves only in the ledger, through the bank's card clearing account: a capture posts card clearing
-> the customer's account, a refund posts the reverse. Every payment is scored by the fraud screen
before the provider is asked: a decline never reaches the provider, a review is authorized but waits
for an analyst or supervisor (never the one who took it) to capture or cancel it. Permissions are checked
here (``Permission.PAYMENT_TAKE``; ``alert.disposition`` for a payment held for review).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from core.errors import PermissionDenied, ValidationError
from core.fraud.screen import ScreenInput
from core.ledger import money
from core.ledger import store as ledger_store
from core.ledger.errors import AccountClosed, AccountFrozen, AccountNotFound, CurrencyMismatch, IdConflict, TransferDeclined
from core.ledger.money import exponent
from core.ledger.numbers import validate as validate_account
from core.ledger.service import Ledger
from core.payments import cards, checks, clearing, live, refunds, review, store, sync
from core.payments.errors import (
    InvalidState, PaymentDeclined, ProviderError, ProviderUnavailable,
)
from core.payments.provider import PaymentProvider
from core.payments.vault import Vault
from core.payments.views import PaymentRequest, PaymentView, checked_id, seen_by
from core.persistence.base import utcnow
from core.security import guard
from core.security.roles import Actor, Permission, Role

A = ledger_store.A
CAPTURE_MODES = ("automatic", "manual")


def _as_seen(method: Callable[..., Any]) -> Callable[..., Any]:
    """What a public method returns or refuses, as its ``actor`` may read it (QA4 #3): no fraud score or reasons
    for a teller, in a payment, a list of them, or a fraud-screen decline (``views.seen_by``,
    ``TransferDeclined.for_actor``)."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Any, actor: Actor, *args: Any, **kw: Any) -> Any:
        try:
            out = method(self, actor, *args, **kw)
        except TransferDeclined as err:
            raise err.for_actor(actor) from None
        if isinstance(out, PaymentView):
            return seen_by(out, actor)
        return [seen_by(v, actor) for v in out] if isinstance(out, list) else out

    return wrapper


class PaymentService:
    """Card payments over one database and one provider. ``screen``: core.fraud FraudScreen (optional)."""

    def __init__(self, engine: Engine, *, provider: PaymentProvider, vault: Vault, screen: Any = None,
                 audit: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.provider = provider
        self.vault = vault
        self.screen = screen
        self.audit = audit
        self.clock = clock
        # Owned postings (capture, refund) are screened here before the provider is asked, not again by the ledger.
        self.ledger = Ledger(engine, audit=audit, clock=clock)

    # -- plumbing -------------------------------------------------------------------------------
    def authorize(self, actor: Actor, permission: Permission, target: str = "") -> None:
        guard.authorize(self.engine, self.audit, actor, permission, target)

    def record(self, conn: Connection, actor: Actor, action: str, target: str, before: dict | None,
               after: dict | None) -> None:
        if self.audit is not None:
            self.audit.append(conn, actor, action, target, before, after)

    def publish(self, conn: Connection, payment_id: str, status: str) -> None:
        live.publish(conn, "payment.updated", {"id": payment_id, "status": status})

    # -- create ---------------------------------------------------------------------------------
    @_as_seen
    def create(self, actor: Actor, req: PaymentRequest) -> PaymentView:
        """Tokenise the card, screen, authorize with the provider and (automatic capture) capture.

        Raises ValidationError kinds (InvalidCard, CardExpired, InvalidCvc, AmountBelowMinimum, ...),
        TransferDeclined (fraud screen), PaymentDeclined (issuer), ProviderUnavailable (retry with the same
        id: the provider recognises it), ProviderError. None of them moves money.
        """
        self.authorize(actor, Permission.PAYMENT_TAKE, req.id)
        if not self.provider.configured():  # before the card goes to the vault or a payment is written
            from core.payments.errors import NOT_CONFIGURED, ProviderNotConfigured

            raise ProviderNotConfigured(NOT_CONFIGURED)
        req = self._check(req)
        card_clearing = clearing.account_number(self.ledger, actor, clearing.CARD, req.currency)
        with self.engine.connect() as conn:
            existing = store.get(conn, req.id) if store.exists(conn, req.id) else None
        if existing is not None:
            if existing["fingerprint"] != req.fingerprint():
                raise IdConflict(f"payment id {req.id} was already used for a different payment", id=req.id)
            if existing["status"] != "pending":
                with self.engine.connect() as conn:
                    return store.view(store.get(conn, req.id), store.events(conn, req.id), replayed=True)
        else:
            self._open(actor, req, card_clearing)
        try:
            state = self.provider.authorize(card=req.card, amount=req.amount, currency=req.currency,
                                            reference=req.id, idempotency_key=req.id)
        except PaymentDeclined as err:
            self._fail(actor, req.id, err.decline_code, err.message)
            raise PaymentDeclined(err.message, err.decline_code, req.id) from None
        except ProviderError as err:
            self._fail(actor, req.id, "provider_error", err.message)
            raise
        except ProviderUnavailable as err:
            self._note(actor, req.id, "provider_unreachable", err.message)
            raise
        view = sync.apply(self, actor, req.id, state, "desk")
        if view.status == "failed":
            raise PaymentDeclined(view.message or "declined", view.decline_code or "card_declined", req.id)
        return self._maybe_capture(actor, view)

    def check_form(self, account: str, amount: str, currency: str, number: str, expiry: str, cvc: str) -> Any:
        """The desk's card form, every field at once and before anything is sent (pure: no I/O):
        a ``checks.CardForm``, or ``checks.InvalidCardPayment`` naming each wrong field (the amount against the
        provider's smallest card payment too)."""
        return checks.card_form(account, amount, currency, number, expiry, cvc, minimum=self.provider.minimum_amount)

    def _check(self, req: PaymentRequest) -> PaymentRequest:
        if len(checked_id(req.id)) > 40 or checked_id(req.id) != req.id:
            raise ValidationError("a payment id has 1-40 letters, digits and dashes")
        code = money.currency(req.currency)
        if isinstance(req.amount, bool) or not isinstance(req.amount, int) or req.amount <= 0:
            raise ValidationError(f"the amount must be a positive number of minor units, got {req.amount!r}")
        below = checks.minimum_refusal(req.amount, code, self.provider.minimum_amount(code))
        if below is not None:
            raise below
        if req.capture not in CAPTURE_MODES:
            raise ValidationError(f"capture must be automatic or manual, got {req.capture!r}")
        card, _brand = cards.parse_card(req.card.number, req.card.exp_month, req.card.exp_year, req.card.cvc)
        return PaymentRequest(req.id, validate_account(req.account), req.amount, code, card,
                              " ".join(req.description.split())[:200], req.capture)

    def _open(self, actor: Actor, req: PaymentRequest, card_clearing: str) -> None:
        """Check the account, tokenise, screen and write the payment (pending), or record a screen decline."""
        now = self.clock()
        declined: list[Any] = []

        def work(conn: Connection) -> None:
            acc = conn.execute(select(A.c.id, A.c.customer_id, A.c.kind, A.c.currency, A.c.status)
                               .where(A.c.number == req.account)).first()
            if acc is None:
                raise AccountNotFound(f"no account {req.account}", account=req.account)
            if acc.kind != "deposit":
                raise ValidationError(f"account {req.account} is a GL account; card payments go into customer accounts",
                                      account=req.account)
            if acc.status != "open":
                err = AccountFrozen if acc.status == "frozen" else AccountClosed
                raise err(f"account {req.account} is {acc.status}", account=req.account)
            if acc.currency != req.currency:
                raise CurrencyMismatch(f"account {req.account} holds {acc.currency}, the payment is in {req.currency}",
                                       account=req.account)
            card = self.vault.tokenise(conn, actor, req.card, cards.brand(req.card.number) or "")
            decision, score = None, None
            if self.screen is not None:
                tx = ScreenInput(transfer_id=review.hold_id(req.id), customer_id=acc.customer_id, debit_account_id=acc.id,
                                 credit_account_id=acc.id, counterparty=card.token, counterparty_country=None,
                                 amount=req.amount, currency=req.currency, exponent=exponent(req.currency), at=now,
                                 channel="card", device=None)  # the desk's workstation is not the customer's
                verdict = self.screen.screen(conn, tx)
                decision, score = verdict.decision, verdict.score
                self.screen.record(conn, tx, verdict)
                if decision == "decline":
                    declined.append(verdict)
            status = "declined" if declined else "pending"
            store.insert_payment(conn, {
                "id": req.id, "provider": self.provider.name, "provider_ref": None, "account_id": acc.id,
                "amount": req.amount, "currency": req.currency, "captured": 0, "refunded": 0, "status": status,
                "capture_mode": req.capture, "card_token": card.token, "card_display": card.display,
                "description": req.description, "decline_code": "fraud_screen" if declined else None,
                "message": "; ".join(declined[0].reasons) if declined else None, "fraud_decision": decision,
                "fraud_score": score, "fingerprint": req.fingerprint(), "created_by": actor.username,
                "created_at": now, "updated_at": now})
            store.add_event(conn, req.id, "created", status, actor=actor.username, source="desk", at=now,
                            amount=req.amount, detail=f"{card.display}; fraud screen: {decision or 'not attached'}"
                                                      + (f" ({score:.2f})" if score is not None else ""))
            self.record(conn, actor, "payment.declined" if declined else "payment.create", req.id, None,
                        {"account": req.account, **money.figure(req.amount, req.currency), "card": card.display,
                         "fraud": decision})
            self.publish(conn, req.id, status)

        self.ledger.run(work)
        if declined:
            raise TransferDeclined(tuple(declined[0].reasons), declined[0].score)

    def _fail(self, actor: Actor, payment_id: str, code: str, message: str) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            row = store.get(conn, payment_id, lock=True)
            if store.advances(row["status"], "failed"):
                store.set_fields(conn, payment_id, now, status="failed", decline_code=code[:40], message=message[:300])
                store.add_event(conn, payment_id, "failed", "failed", actor=actor.username, source="desk", at=now,
                                detail=message)
                self.record(conn, actor, "payment.failed", payment_id, {"status": row["status"]},
                            {"status": "failed", "code": code})
                self.publish(conn, payment_id, "failed")

    def _note(self, actor: Actor, payment_id: str, kind: str, detail: str) -> None:
        with self.engine.begin() as conn:
            row = store.get(conn, payment_id)
            store.add_event(conn, payment_id, kind, row["status"], actor=actor.username, source="desk",
                            at=self.clock(), detail=detail)

    def _maybe_capture(self, actor: Actor, view: PaymentView) -> PaymentView:
        if view.status == "requires_capture" and view.fraud_decision == "review":
            review.place_hold(self, actor, view)  # the fraud queue resolves it (core.payments.review)
            return self.show(actor, view.id, check=False)
        if view.status == "requires_capture" and view.capture_mode == "automatic":
            return self.capture(actor, view.id)
        return view

    @_as_seen
    def follow_transfer(self, actor: Actor, transfer_id: str) -> PaymentView | None:
        """After a fraud disposition on ``transfer_id``: if it is a card payment's held capture, capture or
        cancel at the provider as the disposition decided (None when it is not a card payment)."""
        payment_id = review.payment_of(transfer_id or "")
        if payment_id is None:
            return None
        with self.engine.connect() as conn:
            if not store.exists(conn, payment_id):
                return None
        return review.follow(self, actor, payment_id)

    # -- the steps after create -------------------------------------------------------------------
    @_as_seen
    def confirm(self, actor: Actor, payment_id: str, *, authenticate: bool | None = None) -> PaymentView:
        """Continue after 3-D Secure: reads the provider's state (the cardholder approved with their bank).

        ``authenticate`` (test providers only) answers the challenge as the cardholder would.
        """
        payment_id = checked_id(payment_id)
        self.authorize(actor, Permission.PAYMENT_TAKE, payment_id)
        row = self._row(payment_id)
        if row["status"] != "requires_action":
            if row["status"] == "requires_capture":
                return self._maybe_capture(actor, self.show(actor, payment_id))
            raise InvalidState(f"payment {payment_id} is {row['status']}; only one waiting for 3-D Secure is confirmed")
        if authenticate is not None:
            secret = self.provider.retrieve(row["provider_ref"]).client_secret or ""
            self.provider.complete_authentication(row["provider_ref"], secret, success=authenticate)
        view = sync.reconcile(self, actor, payment_id, source="desk")
        if view.status == "failed":
            raise PaymentDeclined(view.message or "declined", view.decline_code or "card_declined", payment_id)
        if view.status == "requires_action":
            raise InvalidState("the cardholder has not approved the payment with their bank yet; ask them to "
                               "finish in their banking app, then confirm again")
        return self._maybe_capture(actor, view)

    @_as_seen
    def capture(self, actor: Actor, payment_id: str, amount: int | None = None) -> PaymentView:
        """Capture all (default) or part of an authorization; posts card clearing -> customer once."""
        payment_id = checked_id(payment_id)
        row = self._row(payment_id)
        self._authorize_decision(actor, row)
        if row["captured"]:
            return self.show(actor, payment_id)
        if row["status"] != "requires_capture":
            raise InvalidState(f"payment {payment_id} is {row['status']}; only an authorized payment is captured")
        amount = row["amount"] if amount is None else amount
        checks.capture(amount, row["amount"], row["currency"])
        with self.engine.begin() as conn:
            store.add_event(conn, payment_id, "capture_requested", row["status"], actor=actor.username,
                            source="desk", at=self.clock(), amount=amount)
        state = self.provider.capture(row["provider_ref"], amount, idempotency_key=f"{payment_id}:capture")
        if state.status == "succeeded":
            sync.post_capture(self, actor, payment_id, amount, "desk")
        return sync.apply(self, actor, payment_id, state, "desk")

    @_as_seen
    def cancel(self, actor: Actor, payment_id: str) -> PaymentView:
        """Release an authorization (nothing was captured, so no money moves)."""
        payment_id = checked_id(payment_id)
        row = self._row(payment_id)
        self._authorize_decision(actor, row)
        if row["status"] == "canceled":
            return self.show(actor, payment_id)
        if row["status"] not in ("requires_action", "requires_capture"):
            hint = "; refund a captured payment instead" if row["captured"] else ""
            raise InvalidState(f"payment {payment_id} is {row['status']} and cannot be canceled{hint}")
        state = self.provider.cancel(row["provider_ref"], idempotency_key=f"{payment_id}:cancel")
        return sync.apply(self, actor, payment_id, state, "desk")

    @_as_seen
    def refund(self, actor: Actor, payment_id: str, amount: int | None = None,
               request_id: str | None = None) -> PaymentView:
        """Refund all that is left (default) or part; refused above what was captured less earlier refunds."""
        payment_id = checked_id(payment_id)
        self.authorize(actor, Permission.PAYMENT_TAKE, payment_id)
        return refunds.refund(self, actor, payment_id, amount, request_id)

    @_as_seen
    def reconcile(self, actor: Actor, payment_id: str) -> PaymentView:
        payment_id = checked_id(payment_id)
        self.authorize(actor, Permission.PAYMENT_TAKE, payment_id)
        return sync.reconcile(self, actor, payment_id)

    def handle_webhook(self, payload: bytes, signature: str) -> dict:
        return sync.handle_webhook(self, payload, signature)

    # -- reading --------------------------------------------------------------------------------
    @_as_seen
    def show(self, actor: Actor, payment_id: str, *, check: bool = True) -> PaymentView:
        payment_id = checked_id(payment_id)
        if check:
            self.authorize(actor, Permission.LEDGER_VIEW, payment_id)
        with self.engine.connect() as conn:
            view = store.view(store.get(conn, payment_id), store.events(conn, payment_id))
            if view.fraud_decision == "review" and view.status in ("requires_capture", "requires_action"):
                view = replace(view, review_alert=review.open_alert(conn, payment_id))
            return view

    @_as_seen
    def list(self, actor: Actor, *, status: str | None = None, account: str | None = None, search: str | None = None,
             offset: int = 0, limit: int = 100) -> list[PaymentView]:
        """Newest first; ``status`` one of store.NEXT's, ``account`` a number, ``search`` free text."""
        self.authorize(actor, Permission.LEDGER_VIEW)
        return store.listing(self.engine, **_filters(status, account, search), offset=offset, limit=limit)

    def count(self, actor: Actor, *, status: str | None = None, account: str | None = None,
              search: str | None = None) -> int:
        self.authorize(actor, Permission.LEDGER_VIEW)
        return store.count(self.engine, **_filters(status, account, search))

    def _authorize_decision(self, actor: Actor, row: dict[str, Any]) -> None:
        """Who may capture or cancel: ``payment.take`` for an ordinary payment; for one the fraud screen held for
        review (review.is_held) the checker's ``alert.disposition`` (an analyst or supervisor, a named person) and
        never the person who took the payment (maker and checker are two people, as in the fraud queue)."""
        if not review.is_held(row):
            self.authorize(actor, Permission.PAYMENT_TAKE, row["id"])
            return
        where = (f"decides it in the Fraud queue (search {review.hold_id(row['id'])}: releasing captures it, "
                 f"declining cancels it)")
        if actor.role is not Role.SYSTEM and not actor.can(Permission.ALERT_DISPOSITION):
            guard.refuse(self.engine, self.audit, actor, Permission.ALERT_DISPOSITION, row["id"],
                         f"the fraud screen held payment {row['id']} for review: an analyst or supervisor {where}; "
                         f"{actor.username} ({actor.role.value}) may not")
        self.authorize(actor, Permission.ALERT_DISPOSITION, row["id"])  # the system operator: needs --as USER
        if actor.role is not Role.SYSTEM and actor.username == row["created_by"]:
            guard.refuse(self.engine, self.audit, actor, Permission.ALERT_DISPOSITION, row["id"],
                         f"the fraud screen held payment {row['id']} for review and {actor.username} took it; "
                         f"another analyst or supervisor {where} (maker and checker are two people)")

    def _row(self, payment_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return store.get(conn, checked_id(payment_id))


def _filters(status: str | None, account: str | None, search: str | None) -> dict[str, str | None]:
    from core.text import clean

    if status and status not in store.NEXT:
        raise ValidationError(f"status must be one of {', '.join(store.NEXT)}")
    return {"status": status or None, "account": validate_account(account) if account else None,
            "search": clean(search, "the search") or None if search else None}


