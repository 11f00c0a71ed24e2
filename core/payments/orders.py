"""Payment orders: outgoing SEPA, ACH and wire transfers and their lifecycle.

``create`` posts the customer's money to the rail's clearing GL account through the ledger (so the
fraud screen scores it: a decline posts nothing and writes no order; a review holds the funds until an
analyst resolves the hold) and writes the order in the same transaction (``created``). Exporting the
rail's file marks orders ``submitted`` (``rail_files.py``). Then:

- ``settle``: clearing -> the bank's nostro (settlement) account; ``settled``.
- ``return_order`` with the rail's reason code (NACHA R-codes for ACH, ISO 20022 reasons such as AC04 for
  SEPA, the SWIFT return reasons for wires; words may follow the code), once: the money goes back to the customer from clearing (not yet settled) or from nostro (settled); ``returned``.
- ``cancel`` with a reason, before it is sent: the money goes back from clearing (or its hold is voided);
  ``canceled``. An order whose held money is refused (four eyes rejected, withdrawn or expired; the fraud
  review refused it) is ``canceled`` by the ledger's resolution itself (``core.payments.order_fees``).

The fee follows the payment (``core.payments.order_fees``): it is charged only when the payment goes out.
Each step's ledger transfer has a fixed id (``<order>:settle``, ``<order>:return``, ``<order>:cancel``), so
retries post once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from core.errors import ValidationError
from core.ledger import money
from core.ledger.errors import AccountNotFound, IdConflict
from core.ledger.numbers import validate as validate_account
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.payments import clearing, funds, live, order_fees, return_codes
from core.payments.beneficiary import RAIL_NAMES, Beneficiary
from core.payments.fees import FEE_GL_KIND, FeeSchedule
from core.payments.errors import AlreadyReturned, InvalidState, OrderNotFound
from core.payments.order_rows import A, AR, O, T, OrderPreview, OrderView, _select, _view, count_waiting  # noqa: F401
from core.payments.views import checked_id
from core.persistence.base import utcnow
from core.security import guard
from core.security.roles import Actor, Permission, sees_fraud_details


@dataclass(frozen=True)
class OrderRequest:
    """An outgoing transfer as the desk asks for it; ``id`` is the idempotency key (and the transfer id)."""

    id: str
    account: str
    amount: int
    currency: str
    beneficiary: Beneficiary


class PaymentOrders:
    """Create, move and read payment orders. ``ledger`` is the desk's (screened, audited) ledger."""

    def __init__(self, engine: Engine, ledger: Ledger, *, audit: Any = None,
                 clock: Callable[[], datetime] = utcnow, fees: FeeSchedule | None = None) -> None:
        self.engine = engine
        self.ledger = ledger
        self.audit = audit
        self.clock = clock
        self.fees = fees if fees is not None else FeeSchedule.from_env()
        self.owned = Ledger(engine, audit=audit, clock=clock)  # settle and return: the rail's own postings

    def _record(self, conn: Connection, actor: Actor, action: str, target: str, before: dict | None,
                after: dict | None) -> None:
        if self.audit is not None:
            self.audit.append(conn, actor, action, target, before, after)

    def create(self, actor: Actor, req: OrderRequest) -> OrderView:
        """Post customer -> rail clearing (screened) and the fee (customer -> fee income), and write the
        order, all or nothing. The payer's account, currency and funds (amount plus fee) are checked
        before the fraud screen is asked (``core.payments.funds``); a retry of the same id returns the order."""
        guard.authorize(self.engine, self.audit, actor, Permission.TRANSFER_POST, req.id)
        req = replace(req, account=validate_account(req.account), currency=money.currency(req.currency))
        _check_amount(req.amount)
        ben = req.beneficiary
        with self.engine.connect() as conn:
            done = conn.execute(select(O.c.id).where(O.c.id == req.id)).first()
        fee = self.fees.fee(ben.rail, req.currency)
        if done is None:
            funds.check_payer(self.engine, req.account, req.currency, req.amount + fee,
                              what=f"this {RAIL_NAMES[ben.rail]}")
        clearing_account = clearing.account_number(self.owned, actor, clearing.RAIL_KINDS[ben.rail], req.currency)
        fee_account = clearing.account_number(self.owned, actor, FEE_GL_KIND, req.currency) if fee else None
        now = self.clock()

        def also(conn: Connection, result: Any) -> None:
            existing = conn.execute(select(O.c.id, O.c.transfer_id).where(O.c.id == req.id)).first()
            if existing is not None:
                return  # a retry of the same order: the transfer replayed too
            if result.replayed:
                raise IdConflict(f"id {req.id} was already used for a transfer that is not a payment order", id=req.id)
            account_id = conn.execute(select(A.c.id).where(A.c.number == req.account)).scalar_one()
            conn.execute(insert(O).values(
                id=req.id, rail=ben.rail, status="created", account_id=account_id, amount=req.amount,
                currency=req.currency, beneficiary_name=ben.name, iban=ben.iban, bic=ben.bic, routing=ben.routing,
                account_number=ben.account_number, reference=ben.reference, transfer_id=result.id, batch_id=None,
                return_reason=None, closing_transfer_id=None, created_by=actor.username, created_at=now,
                updated_at=now))
            self._record(conn, actor, "order.create", req.id, None,
                         {"rail": ben.rail, **money.figure(req.amount, req.currency),
                          "beneficiary": ben.display, "transfer": result.id, "state": result.state,
                          "fee": money.plain(fee, req.currency)})
            if fee:  # held with the payment when the payment is held: charged only if it goes out (order_fees)
                held = result.state == "pending"
                self.owned.transfer_in(conn, actor, TransferRequest(
                    id=order_fees.fee_id(req.id), debit=req.account, credit=fee_account, amount=fee,
                    currency=req.currency, pending=held,
                    timeout_seconds=order_fees.hold_timeout(conn, result.id, now) if held else None,
                    code="fee", description=f"fee: {RAIL_NAMES[ben.rail]} {req.id}"[:200], channel="transfer"),
                    operation="fee")
            live.publish(conn, "payment_order.updated", {"id": req.id, "status": "created"})

        result = self.ledger.transfer(actor, TransferRequest(
            id=req.id, debit=req.account, credit=clearing_account, amount=req.amount, currency=req.currency,
            code=f"{ben.rail}_out", description=order_description(ben)[:200],
            channel="transfer", counterparty=ben.counterparty, counterparty_country=ben.country),
            also=also, operation="rail")  # no device: the teller's workstation is not the customer's
        view = self.show(actor, req.id, check=False)
        return replace(view, fraud=result.fraud)

    def preview(self, actor: Actor, req: OrderRequest) -> OrderPreview:
        """What will post: accounts, amount, fee, available balance after, the fraud decision.

        The payer's account, currency and funds are checked first (the same refusals as ``create``)."""
        from core.fraud.screen import ScreenInput
        from core.ledger import queries

        guard.authorize(self.engine, self.audit, actor, Permission.TRANSFER_POST, req.id)
        number, cur = validate_account(req.account), money.currency(req.currency)
        _check_amount(req.amount)
        ben = req.beneficiary
        fee = self.fees.fee(ben.rail, cur)
        funds.check_payer(self.engine, number, cur, req.amount + fee, what=f"this {RAIL_NAMES[ben.rail]}")
        clearing_account = clearing.account_number(self.owned, actor, clearing.RAIL_KINDS[ben.rail], cur)
        balance = queries.balance(self.engine, number, self.clock())  # holds past their timeout are released
        with self.engine.connect() as conn:
            acc = conn.execute(select(A.c.id, A.c.customer_id, A.c.name).where(A.c.number == number)).first()
            decision = score = None
            reasons: tuple[str, ...] = ()
            if self.ledger.screen is not None and acc.customer_id is not None:
                verdict = self.ledger.screen.screen(conn, ScreenInput(
                    transfer_id=req.id, customer_id=acc.customer_id, debit_account_id=acc.id, credit_account_id=0,
                    counterparty=ben.counterparty, counterparty_country=ben.country, amount=req.amount, currency=cur,
                    exponent=money.exponent(cur), at=self.clock(), channel="transfer", device=None))
                decision, score, reasons = verdict.decision, verdict.score, tuple(verdict.reasons)
        if not sees_fraud_details(actor):  # the decision only: no score or reasons for a teller (tipping off)
            score, reasons = None, ()
        approval = (self.ledger.four_eyes.would_wait(actor, req.amount, cur)
                    if self.ledger.four_eyes is not None and acc.customer_id is not None and decision != "decline"
                    else None)
        return OrderPreview(ben.rail, number, acc.name, clearing_account, req.amount, fee, cur,
                            balance.available - req.amount - fee, ben.display, decision, score, reasons, approval)

    def settle(self, actor: Actor, order_id: str) -> OrderView:
        """The rail confirmed the payment: clearing -> nostro."""
        guard.authorize(self.engine, self.audit, actor, Permission.RAILS_OPERATE, order_id)
        order = self._get(order_id)
        if order["status"] == "settled":
            return self.show(actor, order_id, check=False)
        if order["status"] != "submitted":
            raise InvalidState(f"order {order_id} is {order['status']}; only a submitted order settles "
                               "(export the rail's file first)")
        kind = clearing.RAIL_KINDS[order["rail"]]
        debit = clearing.account_number(self.owned, actor, kind, order["currency"])
        credit = clearing.account_number(self.owned, actor, clearing.NOSTRO, order["currency"])
        self._close(actor, order, "settled", debit, credit, "settle", None)
        return self.show(actor, order_id, check=False)

    def return_order(self, actor: Actor, order_id: str, reason: str) -> OrderView:
        """The rail returned the payment: the customer is credited back from clearing or nostro."""
        guard.authorize(self.engine, self.audit, actor, Permission.RAILS_OPERATE, order_id)
        order = self._get(order_id)
        reason = return_codes.check(order["rail"], reason)
        if order["status"] == "returned":
            when = f"{order['updated_at']:%Y-%m-%d %H:%M} UTC" if order.get("updated_at") else "before"
            raise AlreadyReturned(f"order {order_id} was already returned ({order['return_reason']}, {when}) and its "
                                  "money credited back; nothing was posted again", order=order_id)
        if order["status"] not in ("submitted", "settled"):
            raise InvalidState(f"order {order_id} is {order['status']}; only a submitted or settled order is returned")
        kind = clearing.NOSTRO if order["status"] == "settled" else clearing.RAIL_KINDS[order["rail"]]
        debit = clearing.account_number(self.owned, actor, kind, order["currency"])
        self._close(actor, order, "returned", debit, order["account_number_from"], "return",
                    describe_return(reason, order["rail"]))
        return self.show(actor, order_id, check=False)

    def cancel(self, actor: Actor, order_id: str, reason: str) -> OrderView:
        """Stop an order that has not been sent (created): its money goes back to the customer and its fee
        is never charged (a held payment is voided; posted money comes back from clearing, the fee is credited
        back). For an order the rail file cannot carry, or that the customer called off before it was sent."""
        guard.authorize(self.engine, self.audit, actor, Permission.RAILS_OPERATE, order_id)
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError("cancelling an order needs a reason (e.g. the customer called it off)")
        order = self._get(order_id)
        if order["status"] == "canceled":
            return self.show(actor, order_id, check=False)
        if order["status"] != "created":
            raise InvalidState(f"order {order_id} is {order['status']}; only an order not yet sent (created) is "
                               "cancelled; a sent order comes back as a return from the rail")
        why = f"canceled: {reason}"[:140]
        if order["transfer_state"] == "pending":  # held (four eyes or fraud review): voiding releases it and the fee
            from core.ledger import pending as pending_ops

            def void(conn: Connection) -> None:
                pending_ops.resolve_on(self.ledger, conn, actor, order["transfer_id"], post=False, amount=None,
                                       id=None, expired=[])
                conn.execute(update(O).where(O.c.id == order_id, O.c.status == "canceled").values(return_reason=why))

            self.ledger.run(void)
            return self.show(actor, order_id, check=False)
        if order["transfer_state"] != "posted":
            raise InvalidState(f"order {order_id}'s money is {order['transfer_state']}; nothing to cancel")
        debit = clearing.account_number(self.owned, actor, clearing.RAIL_KINDS[order["rail"]], order["currency"])
        self._close(actor, order, "canceled", debit, order["account_number_from"], "cancel", why)
        return self.show(actor, order_id, check=False)

    def _close(self, actor: Actor, order: dict, status: str, debit: str, credit: str, verb: str,
               reason: str | None) -> None:
        transfer_id = f"{order['id']}:{verb}"

        def also(conn: Connection, result: Any) -> None:
            if status == "canceled":
                order_fees.cancel_in(self.owned, conn, actor, order, reason or "canceled", result.id)
                return
            now = self.clock()
            done = conn.execute(update(O).where(O.c.id == order["id"], O.c.status == order["status"]).values(
                status=status, closing_transfer_id=result.id, return_reason=reason, updated_at=now))
            if done.rowcount != 1:
                raise InvalidState(f"order {order['id']} changed meanwhile; look at it again")
            after = {"status": status, "transfer": result.id, "reason": reason}
            if verb == "return":  # the rail did not carry the payment: the fee goes back too
                after["fee"] = order_fees.refund_fee(self.owned, conn, actor, order, "returned")
            self._record(conn, actor, f"order.{verb}", order["id"], {"status": order["status"]}, after)
            live.publish(conn, "payment_order.updated", {"id": order["id"], "status": status})

        self.owned.transfer(actor, TransferRequest(
            id=transfer_id, debit=debit, credit=credit, amount=order["amount"], currency=order["currency"],
            code=f"{order['rail']}_{verb}", description=f"{verb} of {RAIL_NAMES[order['rail']]} {order['id']}"
            + (f": {reason}" if reason else ""), channel="transfer"), also=also, operation="rail")

    # -- reading --------------------------------------------------------------------------------
    def show(self, actor: Actor, order_id: str, *, check: bool = True) -> OrderView:
        order_id = checked_id(order_id, "payment order id")
        if check:
            guard.authorize(self.engine, self.audit, actor, Permission.LEDGER_VIEW, order_id)
        with self.engine.connect() as conn:
            rows = conn.execute(_select().where(O.c.id == order_id)).all()
        if not rows:
            raise OrderNotFound(f"no payment order {order_id}; qenex rails list shows them", order=order_id)
        return _view(rows[0])

    def list(self, actor: Actor, *, rail: str | None = None, status: str | None = None, account: str | None = None,
             offset: int = 0, limit: int = 100) -> list[OrderView]:
        guard.authorize(self.engine, self.audit, actor, Permission.LEDGER_VIEW)
        query = _select()
        if rail:
            query = query.where(O.c.rail == rail)
        if status:
            query = query.where(O.c.status == status)
        if account:
            query = query.where(A.c.number == account)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(O.c.created_at.desc(), O.c.id).offset(offset).limit(limit)).all()
        return [_view(r) for r in rows]

    def _get(self, order_id: str) -> dict[str, Any]:
        order_id = checked_id(order_id, "payment order id")
        with self.engine.connect() as conn:
            row = conn.execute(_select().where(O.c.id == order_id)).first()
        if row is None:
            raise OrderNotFound(f"no payment order {order_id}; qenex rails list shows them", order=order_id)
        return dict(row._mapping)

    def account_owner(self, number: str) -> tuple[str, str]:
        """(name, currency) of a customer account (for the confirmation step)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(A.c.name, A.c.currency).where(A.c.number == number)).first()
        if row is None:
            raise AccountNotFound(f"no account {number}", account=number)
        return row.name, row.currency


def order_description(ben: Beneficiary) -> str:
    """The statement line of an outgoing order: "SEPA credit transfer to Jean Dupont: invoice 42", or without a
    reference just "... to Jean Dupont" (no dangling colon)."""
    reference = " ".join((ben.reference or "").split())
    return f"{RAIL_NAMES[ben.rail]} to {ben.name}" + (f": {reference}" if reference else "")


def describe_return(reason: str, rail: str | None = None) -> str:
    """"R03" -> "R03 No account / unable to locate account" (``core.payments.return_codes``: NACHA and
    SEPA reason codes in plain words); a code with words of the operator's own is kept as typed."""
    from core.payments.return_codes import describe

    return describe(reason, rail)


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(f"the amount must be a positive number of minor units, got {amount!r}")


