"""Payment orders: outgoing SEPA, ACH and wire transfers and their lifecycle.

``create`` posts the customer's money to the rail's clearing GL account through the ledger (so the
fraud screen scores it: a decline posts nothing and writes no order; a review holds the funds until an
analyst resolves the hold) and writes the order in the same transaction (``created``). Exporting the
rail's file marks orders ``submitted`` (``rail_files.py``). Then:

- ``settle``: clearing -> the bank's nostro (settlement) account; ``settled``.
- ``return_order`` with a reason (ACH R01-R85, SEPA reason codes such as AC04, or words): the money
  goes back to the customer from clearing (not yet settled) or from nostro (settled); ``returned``.

Each step's ledger transfer has a fixed id (``<order>:settle``, ``<order>:return``), so retries post once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from core.errors import ValidationError
from core.ledger import money, store as ledger_store
from core.ledger.errors import AccountNotFound, IdConflict
from core.ledger.numbers import validate as validate_account
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.payments import clearing, funds, live
from core.payments.beneficiary import RAIL_NAMES, Beneficiary
from core.payments.fees import FEE_GL_KIND, FeeSchedule
from core.payments.errors import InvalidState, OrderNotFound
from core.payments.views import checked_id
from core.persistence.base import utcnow
from core.persistence.models import ApprovalRequest, PaymentOrder
from core.security import guard
from core.security.roles import Actor, Permission

O = PaymentOrder.__table__
A = ledger_store.A
T = ledger_store.T
AR = ApprovalRequest.__table__  # four eyes: an order above the maker's limit waits for a supervisor


@dataclass(frozen=True)
class OrderRequest:
    """An outgoing transfer as the desk asks for it; ``id`` is the idempotency key (and the transfer id)."""

    id: str
    account: str
    amount: int
    currency: str
    beneficiary: Beneficiary


@dataclass(frozen=True)
class OrderView:
    id: str
    rail: str
    status: str
    account: str
    amount: int
    currency: str
    beneficiary: str
    name: str
    iban: str | None
    bic: str | None
    routing: str | None
    account_number: str | None
    reference: str
    transfer_id: str
    funds: str  # posted | held for review | released (the hold was voided) | ...
    batch_id: str | None
    return_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    fraud: Any = None
    fee: int = 0  # charged with the order (customer -> fee income), minor units
    account_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in ("id", "rail", "status", "account", "currency", "beneficiary", "name",
                                              "iban", "bic", "routing", "account_number", "reference", "transfer_id",
                                              "funds", "batch_id", "return_reason", "created_by")}
        data.update(amount=money.plain(self.amount, self.currency), fee=money.plain(self.fee, self.currency),
                    account_name=self.account_name, created_at=self.created_at.isoformat(),
                    updated_at=self.updated_at.isoformat())
        if self.fraud is not None:
            data["fraud"] = {"decision": self.fraud.decision, "score": round(self.fraud.score, 4),
                             "reasons": list(self.fraud.reasons)}
        return data


@dataclass(frozen=True)
class OrderPreview:
    """What ``create`` would post, for the confirmation step (nothing is written)."""

    rail: str
    account: str
    account_name: str
    clearing_account: str
    amount: int
    fee: int
    currency: str
    available_after: int
    beneficiary: str
    decision: str | None  # the fraud screen's decision now: approve | review | decline (None: no screen)
    score: float | None
    reasons: tuple[str, ...]


_FUNDS = {"posted": "posted", "pending": "held for fraud review", "voided": "released: the review refused it",
          "expired": "released: the hold expired"}


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
                         {"rail": ben.rail, "amount": money.plain(req.amount, req.currency), "currency": req.currency,
                          "beneficiary": ben.display, "transfer": result.id, "state": result.state,
                          "fee": money.plain(fee, req.currency)})
            if fee:
                self.owned.transfer_in(conn, actor, TransferRequest(
                    id=f"{req.id}:fee", debit=req.account, credit=fee_account, amount=fee, currency=req.currency,
                    code="fee", description=f"fee: {RAIL_NAMES[ben.rail]} {req.id}"[:200], channel="transfer"),
                    operation="fee")
            live.publish(conn, "payment_order.updated", {"id": req.id, "status": "created"})

        result = self.ledger.transfer(actor, TransferRequest(
            id=req.id, debit=req.account, credit=clearing_account, amount=req.amount, currency=req.currency,
            code=f"{ben.rail}_out", description=f"{RAIL_NAMES[ben.rail]} to {ben.name}: {ben.reference}"[:200],
            channel="transfer", counterparty=ben.counterparty, counterparty_country=ben.country,
            device=actor.device), also=also, operation="rail")
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
                    exponent=money.exponent(cur), at=self.clock(), channel="transfer", device=actor.device))
                decision, score, reasons = verdict.decision, verdict.score, tuple(verdict.reasons)
        return OrderPreview(ben.rail, number, acc.name, clearing_account, req.amount, fee, cur,
                            balance.available - req.amount - fee, ben.display, decision, score, reasons)

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
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError("a return needs the reason the rail gave (e.g. R03, AC04, or words)")
        order = self._get(order_id)
        if order["status"] == "returned":
            return self.show(actor, order_id, check=False)
        if order["status"] not in ("submitted", "settled"):
            raise InvalidState(f"order {order_id} is {order['status']}; only a submitted or settled order is returned")
        kind = clearing.NOSTRO if order["status"] == "settled" else clearing.RAIL_KINDS[order["rail"]]
        debit = clearing.account_number(self.owned, actor, kind, order["currency"])
        self._close(actor, order, "returned", debit, order["account_number_from"], "return", describe_return(reason))
        return self.show(actor, order_id, check=False)

    def _close(self, actor: Actor, order: dict, status: str, debit: str, credit: str, verb: str,
               reason: str | None) -> None:
        transfer_id = f"{order['id']}:{verb}"
        fee = order.get("fee_amount") or 0
        fee_account = (clearing.account_number(self.owned, actor, FEE_GL_KIND, order["currency"])
                       if verb == "return" and fee else None)

        def also(conn: Connection, result: Any) -> None:
            now = self.clock()
            done = conn.execute(update(O).where(O.c.id == order["id"], O.c.status == order["status"]).values(
                status=status, closing_transfer_id=result.id, return_reason=reason, updated_at=now))
            if done.rowcount != 1:
                raise InvalidState(f"order {order['id']} changed meanwhile; look at it again")
            after = {"status": status, "transfer": result.id, "reason": reason}
            if fee_account is not None:  # the rail did not carry the payment: the fee goes back too
                self.owned.transfer_in(conn, actor, TransferRequest(
                    id=f"{order['id']}:fee-return", debit=fee_account, credit=credit, amount=fee,
                    currency=order["currency"], code="fee", description=f"fee back: {order['id']} returned",
                    channel="transfer"), operation="fee")
                after["fee_refunded"] = money.plain(fee, order["currency"])
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


def describe_return(reason: str) -> str:
    """"R03" -> "R03 No account / unable to locate account" (``core.payments.return_codes``: NACHA and
    SEPA reason codes in plain words); a code with words of the operator's own is kept as typed."""
    from core.payments.return_codes import describe

    return describe(reason)


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(f"the amount must be a positive number of minor units, got {amount!r}")


_FEE = T.alias("fee_transfer")


def _select():  # noqa: ANN202
    return (select(O, A.c.number.label("account_number_from"), A.c.name.label("account_name"),
                   T.c.state.label("transfer_state"), _FEE.c.amount.label("fee_amount"),
                   AR.c.state.label("approval_state"))
            .join(A, A.c.id == O.c.account_id).join(T, T.c.id == O.c.transfer_id, isouter=True)
            .join(_FEE, _FEE.c.id == O.c.id + ":fee", isouter=True)
            .join(AR, AR.c.transfer_id == O.c.transfer_id, isouter=True))


def _funds(transfer_state: str | None, approval_state: str | None) -> str:
    """Where the order's money is, in words (a transfer held by four eyes waits for a supervisor, not the fraud team)."""
    if approval_state is not None:
        if transfer_state == "pending":
            return "waiting for approval: reserved on the account until a supervisor decides"
        if transfer_state == "voided":
            return "released: the approval was refused or withdrawn"
    return _FUNDS.get(transfer_state or "", transfer_state or "unknown")


def _view(row: Any) -> OrderView:
    m = row._mapping
    ben = Beneficiary(m["rail"], m["beneficiary_name"], m["iban"], m["bic"], m["routing"], m["account_number"],
                      m["reference"])
    return OrderView(
        id=m["id"], rail=m["rail"], status=m["status"], account=m["account_number_from"], amount=m["amount"],
        currency=m["currency"], beneficiary=ben.display, name=m["beneficiary_name"], iban=m["iban"], bic=m["bic"],
        routing=m["routing"], account_number=m["account_number"], reference=m["reference"],
        transfer_id=m["transfer_id"], funds=_funds(m["transfer_state"], m["approval_state"]),
        batch_id=m["batch_id"], return_reason=m["return_reason"], created_by=m["created_by"],
        created_at=m["created_at"], updated_at=m["updated_at"], fee=m["fee_amount"] or 0,
        account_name=m["account_name"] or "")


def count_waiting(engine: Engine, rail: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(O.join(T, T.c.id == O.c.transfer_id))
                                .where(O.c.rail == rail, O.c.status == "created", T.c.state == "posted")).scalar_one())
