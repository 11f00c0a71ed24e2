"""The Ledger service: every money movement and ledger query, with permissions checked in core."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.errors import DatabaseUnavailable, QenexError
from core.ledger import accounts as account_ops
from core.ledger import events
from core.ledger import pending as pending_ops
from core.ledger import queries, store
from core.ledger.money import exponent
from core.ledger.desk_controls import GLMovementRefused
from core.ledger.errors import LinkedTransferFailed, TransferDeclined
from core.ledger.posting import Posting, normalize
from core.ledger.cash_desk import LedgerCash
from core.ledger.reads import LedgerReads
from core.ledger.views import (
    AccountView, CustomerView, TransferRequest, TransferResult,
)
from core.persistence.columns import utcnow
from core.persistence import outage as outages
from core.security import guard
from core.security.roles import Actor, Permission, sees_fraud_details

_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock detected
OPTIMISTIC_TRIES = 3  # unlocked read + checked write attempts before a desk transfer takes the locking path


class Ledger(LedgerReads, LedgerCash):
    """Double-entry ledger over one database (SQLite or PostgreSQL).

    ``audit`` (optional) gets ``append(conn, actor, action, target, before, after)`` inside each change's
    transaction; ``screen`` (optional, core.fraud) scores customer payments before they post.
    """

    def __init__(self, engine: Engine, *, audit: Any = None, screen: Any = None,
                 clock: Callable[[], datetime] = utcnow, retry_seconds: float | None = None) -> None:
        self.engine = engine
        # How long one call retries a lost database before DatabaseUnavailable (QENEX_DB_RETRY_SECONDS, 10 s).
        self.retry_seconds = outages.retry_seconds() if retry_seconds is None else retry_seconds
        self.audit = audit
        self.screen = screen
        self.clock = clock
        self._cash: dict[str, str] = {}  # currency -> the cash GL account's number (never changes once made)
        self._autocommit = None  # PostgreSQL: idle autocommit connections (psycopg: never loaded on SQLite)
        if engine.dialect.name == "postgresql":
            from core.persistence.driver import AutocommitConnections

            self._autocommit = AutocommitConnections.of(engine)  # shared by every ledger on the engine
        self.four_eyes: Any = None  # core.approvals.Approvals when attached (app.services): maker/checker rules

    # -- plumbing -------------------------------------------------------------------------------
    def authorize(self, actor: Actor, permission: Permission, target: str = "") -> None:
        """Raise PermissionDenied (and audit the refusal) unless ``actor`` holds ``permission``."""
        guard.authorize(self.engine, self.audit, actor, permission, target)

    def record(self, conn: Connection, actor: Actor, action: str, target: str,
               before: dict | None, after: dict | None) -> None:
        if self.audit is not None:
            self.audit.append(conn, actor, action, target, before, after)

    def run(self, work: Callable[[Connection], Any], attempts: int = 5, begin: Callable[[], Any] | None = None) -> Any:
        """Run ``work`` in one transaction, retrying deadlocks/serialization failures and id races
        (``attempts`` times) and a lost database connection (for ``retry_seconds``, then DatabaseUnavailable).

        Retrying after a lost connection is safe because every write is keyed: a transfer whose commit went
        through before the connection broke replays by its id instead of posting again.
        ``begin`` (default ``engine.begin``) gives the transaction's context manager.
        """
        return outages.run_transaction(begin or self.engine.begin, work, attempts=attempts,
                                       retry_seconds=self.retry_seconds, retryable_states=_RETRYABLE_PG)

    # -- customers and accounts -----------------------------------------------------------------
    def add_customer(self, actor: Actor, name: str, country: str = "US") -> CustomerView:
        self.authorize(actor, Permission.CUSTOMER_ADD)
        return self.run(lambda c: account_ops.add_customer(self, c, actor, name, country))

    def open_account(self, actor: Actor, customer_id: int, currency: str, overdraft: int = 0,
                     kind: str = "deposit", note: str = "") -> AccountView:
        """With four eyes attached, a person's overdraft above their role's overdraft limit is a credit decision:
        the account opens without one and a supervisor is asked (``AccountView.overdraft_request``)."""
        self.authorize(actor, Permission.ACCOUNT_OPEN)
        if self.four_eyes is not None and kind == "deposit":
            from core.approvals import overdraft as credit

            return self.run(lambda c: credit.open_account(self.four_eyes, c, actor, customer_id, currency, overdraft,
                                                          note))
        return self.run(lambda c: account_ops.open_account(self, c, actor, customer_id, currency, overdraft, kind))

    def set_overdraft(self, actor: Actor, account: str, amount: int, note: str = "") -> AccountView:
        """Change a deposit account's overdraft limit; with four eyes attached, raising it above the person's
        overdraft limit asks a supervisor instead (``AccountView.overdraft_request``)."""
        self.authorize(actor, Permission.ACCOUNT_OPEN, account)
        if self.four_eyes is not None:
            from core.approvals import overdraft as credit

            return self.run(lambda c: credit.set_limit(self.four_eyes, c, actor, account, amount, note))
        return self.run(lambda c: account_ops.set_overdraft(self, c, actor, account, amount))

    def ensure_gl_accounts(self, actor: Actor, currency: str) -> dict[str, AccountView]:
        """The bank's internal GL accounts (cash, clearing, suspense, fees) in ``currency``, created once."""
        self.authorize(actor, Permission.ACCOUNT_OPEN)
        return self.run(lambda c: account_ops.ensure_gl_accounts(self, c, actor, currency))

    def set_status(self, actor: Actor, account: str, status: str) -> AccountView:
        """Freeze, unfreeze or close ``account``. With four eyes attached, a person's freeze or closure is
        refused (ApprovalRequired): it is asked for with ``Approvals.request_status`` and approved by another."""
        self.authorize(actor, Permission.ACCOUNT_STATUS, account)
        if self.four_eyes is not None and status in ("frozen", "closed"):
            self.four_eyes.refuse_direct(actor, f"{'freezing' if status == 'frozen' else 'closing'} an account",
                                         "ask for it (qenex approvals request, or the console) and another supervisor "
                                         "approves it")
        return self.run(lambda c: account_ops.set_status(self, c, actor, account, status))

    # -- transfers ------------------------------------------------------------------------------
    def transfer(self, actor: Actor, req: TransferRequest,
                 also: Callable[[Connection, TransferResult], None] | None = None, *,
                 operation: str | None = None, four_eyes: bool | None = None) -> TransferResult:
        """``_transfer_as``; the fraud score and reasons only for ``alert.view`` (a teller reads the decision), in
        the result and in a decline's refusal (``TransferDeclined.for_actor``)."""
        try:
            result = self._transfer_as(actor, req, also, operation=operation, four_eyes=four_eyes)
        except TransferDeclined as err:
            raise err.for_actor(actor) from None
        return result if result.fraud is None or sees_fraud_details(actor) else result._replace(
            fraud=dataclasses.replace(result.fraud, score=None, reasons=()))

    def _transfer_as(self, actor: Actor, req: TransferRequest,
                     also: Callable[[Connection, TransferResult], None] | None = None, *,
                     operation: str | None = None, four_eyes: bool | None = None) -> TransferResult:
        """Post (or hold, if pending) one transfer in its own database transaction.

        ``also(conn, result)`` (optional) runs in the same transaction after the posting (also for a
        replayed id: check ``result.replayed``), so an operation that owns the transfer (a payment
        order, a card capture) writes its own rows all or nothing with it; raising undoes both.
        ``operation`` (core.ledger.desk_controls.OWNERS; set only by the core operation itself) lets that
        operation move money on the GL accounts it owns; otherwise only a supervisor with a reason or the
        system operator touches a GL account (GLMovementRefused, audited).
        ``four_eyes`` (default: without ``also``, and for payment orders) applies the maker/checker rules even with ``also``
        (cash through a drawer: the operation's rows are written with the held transfer).
        """
        self.authorize(actor, Permission.TRANSFER_CORRECT if req.reverses_id else Permission.TRANSFER_POST, req.id)
        req = normalize(req, actor)
        declined: list[tuple] = []
        try:
            # Four eyes: plain transfers and payment orders (a held order's rail file waits for its transfer to
            # post) by default; an operation with rows of its own asks with ``four_eyes=True`` (drawer cash)
            gated = (also is None or operation == "rail") if four_eyes is None else four_eyes
            if also is None and not req.reverses_id and self.engine.dialect.name == "postgresql":
                if self.audit is None and self.screen is None and self.four_eyes is None:
                    return self._transfer_optimistic(actor, req, operation)
                if gated:  # the desk path applies the maker/checker rules (falling back when a request is due)
                    from core.ledger import desk  # screen and audit inside one read and one checked write

                    result = desk.transfer(self, actor, req, OPTIMISTIC_TRIES, operation)
                    if result is not None:
                        return result
            return self.run(lambda c: self._transfer(c, actor, req, declined, also, operation, gated=gated))
        except GLMovementRefused as err:
            self._refused(actor, err, req.id)
            raise
        except TransferDeclined as err:
            if declined:  # the locking path's decline (the desk path recorded its own)
                self.run(lambda conn: self._record_decline(conn, actor, req, declined[0], err))
            raise

    def _record_decline(self, conn: Connection, actor: Actor, req: TransferRequest, screened: tuple,
                        err: TransferDeclined) -> None:
        """Record a declined payment once: a retry after a commit whose answer was lost finds it recorded."""
        from core.persistence.models.fraud import FraudScore

        if conn.execute(select(FraudScore.transfer_id).where(FraudScore.transfer_id == req.id,
                                                             FraudScore.decision == "decline")).first():
            return
        self.screen.record(conn, *screened)
        self.record(conn, actor, "transfer.declined", req.id, None, {"score": err.score, "reasons": list(err.reasons)})

    def transfer_in(self, conn: Connection, actor: Actor, req: TransferRequest, *,
                    operation: str | None = None) -> TransferResult:
        """``transfer`` inside the caller's transaction (a fraud reversal that must commit with its disposition;
        an outgoing order's fee with its order). ``operation`` as for ``transfer``.

        The caller has authorized the action; a payment the screen would decline raises TransferDeclined."""
        return self._transfer(conn, actor, normalize(req, actor), [], None, operation)

    def _refused(self, actor: Actor, err: GLMovementRefused, target: str) -> None:
        """Audit a refused GL movement in its own transaction (as ``guard.authorize`` does a refused call)."""
        if self.audit is not None:
            with self.engine.begin() as conn:
                self.record(conn, actor, "permission.denied", target, None,
                            {"permission": "gl.move", "account": str(err.details.get("account", ""))})

    def _record_gl(self, conn: Connection, actor: Actor, posting: Posting) -> None:
        """Audit each supervisor's direct GL movement of ``posting`` with its reason."""
        for transfer_id, reason in posting.gl_movements:
            self.record(conn, actor, "transfer.gl_movement", transfer_id, None, {"reason": reason})

    def _transfer(self, conn: Connection, actor: Actor, req: TransferRequest, declined: list,
                  also: Callable[[Connection, TransferResult], None] | None = None,
                  operation: str | None = None, gated: bool = False) -> TransferResult:
        ids = [req.id] + ([req.reverses_id] if req.reverses_id else [])
        now = self.clock()
        locked, existing = store.lock_and_fetch(conn, (req.debit, req.credit), ids, now=now)
        posting = Posting(actor, now, {a.number: a for a in locked}, existing, operation=operation)
        if req.reverses_id:
            posting.corrected |= queries.corrected_ids(conn, [req.reverses_id])
        replay = posting.replay(req)
        if replay is not None:
            if also is not None:
                also(conn, replay)
            return replay
        screened = self._screen(conn, posting, req, declined)
        need = (self.four_eyes.need(conn, actor, req, posting.account(req.debit), posting.account(req.credit))
                if gated and self.four_eyes is not None else None)
        result = posting.apply(req, hold=need is not None or (screened is not None and screened[1].decision == "review"))
        if need is not None:  # held until a second person decides, at most until the request expires
            expires_at = self.four_eyes.expires(now)
            posting.transfers[-1]["expires_at"] = expires_at
        elif result.state == "pending" and screened is not None and screened[1].decision == "review":
            posting.transfers[-1]["expires_at"] = None  # QA4 #2: held until the analyst decides (pending.hold_for_review)
        self._write(conn, posting)
        self.record(conn, actor, "transfer.hold" if result.state == "pending" else "transfer.post", req.id, None,
                    result.to_dict())
        self._record_gl(conn, actor, posting)
        events.created(conn, actor.username, [result])
        if need is not None:
            score = screened[1].score if screened is not None else None
            result = result._replace(approval=self.four_eyes.opened(conn, actor, req, need, expires_at, score))
        if screened is not None:
            self.screen.record(conn, *screened)
            result = result._replace(fraud=screened[1])
        if also is not None:
            also(conn, result)
        return result

    def _transfer_optimistic(self, actor: Actor, req: TransferRequest, operation: str | None = None) -> TransferResult:
        """PostgreSQL, no audit trail or fraud screen: read unlocked, write only over unchanged rows.

        Two autocommit statements instead of BEGIN, lock, write, COMMIT. A write that finds an account
        changed since the read fails whole (40001) and is tried again; after ``OPTIMISTIC_TRIES`` such
        conflicts (a hot account) the transfer takes the locking path, which always gets through.
        """
        for _ in range(OPTIMISTIC_TRIES):
            try:
                with self._autocommit.cursor() as cur:
                    result = self._transfer_raw(cur, actor, req, lock=False, operation=operation)
                    events.created_committed(self.engine, cur, actor.username, result)
                    return result
            except DatabaseUnavailable:
                continue  # a lost connection: the next try (then the retrying locking path) gets through
            except DBAPIError as exc:  # IntegrityError included: the same id posted meanwhile
                if not (isinstance(exc, IntegrityError) or exc.connection_invalidated
                        or getattr(exc.orig, "sqlstate", None) in _RETRYABLE_PG):
                    raise
        from core.persistence.driver import raw_transaction

        result = self.run(lambda cur: self._transfer_raw(cur, actor, req, operation=operation),
                          begin=lambda: raw_transaction(self.engine))
        try:
            with self._autocommit.cursor() as cur:
                events.created_committed(self.engine, cur, actor.username, result)
        except (DBAPIError, DatabaseUnavailable) as exc:  # posted: a lost live-update notice must not fail it
            if not outages.is_connection_loss(exc):
                raise
        return result

    def _transfer_raw(self, cur: Any, actor: Actor, req: TransferRequest, *, lock: bool = True,
                      operation: str | None = None) -> TransferResult:
        """``_transfer`` on a PostgreSQL driver cursor, for a ledger without audit trail or fraud screen.

        ``lock=False``: the accounts are read without locks and the write checks they did not change.
        """
        now = self.clock()
        accounts, existing = store.lock_and_fetch_on(cur, (req.debit, req.credit), (req.id,), lock=lock, now=now)
        posting = Posting(actor, now, {a.number: a for a in accounts}, existing, operation=operation)
        result = posting.apply(req)  # a retried id comes back as the earlier result, writing nothing
        if not result.replayed:
            touched = sorted(posting.touched.values(), key=lambda a: a.id)  # the global lock order
            store.write_posting_on(cur, posting.transfers, posting.entries, touched, checked=not lock)
        return result

    def _screen(self, conn: Connection, posting: Posting, req: TransferRequest, declined: list) -> tuple | None:
        """Score a customer's outgoing payment; a decline raises TransferDeclined before anything is written."""
        if self.screen is None or req.reverses_id:
            return None
        debit, credit = posting.account(req.debit), posting.account(req.credit)
        if debit.customer_id is None:
            return None
        from core.fraud.screen import ScreenInput

        tx = ScreenInput(
            transfer_id=req.id, customer_id=debit.customer_id, debit_account_id=debit.id,
            credit_account_id=credit.id, counterparty=req.counterparty or credit.number,
            counterparty_country=req.counterparty_country, amount=req.amount, currency=req.currency,
            exponent=exponent(req.currency), at=req.at or posting.now, channel=req.channel, device=req.device,
        )
        verdict = self.screen.screen(conn, tx)
        if verdict.decision == "decline":
            declined[:] = [(tx, verdict)]
            raise TransferDeclined(tuple(verdict.reasons), verdict.score)
        return tx, verdict

    def transfer_linked(self, actor: Actor, reqs: Sequence[TransferRequest]) -> list[TransferResult]:
        """Post a chain of transfers all or nothing, in one database transaction."""
        for req in reqs:
            self.authorize(actor, Permission.TRANSFER_POST, req.id)
        reqs = [normalize(r, actor) for r in reqs]
        if not reqs:
            return []

        def work(conn: Connection) -> list[TransferResult]:
            numbers = {n for r in reqs for n in (r.debit, r.credit)}
            now = self.clock()
            locked, existing = store.lock_and_fetch(conn, sorted(numbers), [r.id for r in reqs], now=now)
            posting = Posting(actor, now, {a.number: a for a in locked}, existing, link_id=reqs[0].id)
            results = []
            for index, req in enumerate(reqs):
                try:
                    results.append(posting.apply(req))
                except QenexError as err:
                    raise LinkedTransferFailed(index, err) from err
            self._write(conn, posting)
            self.record(conn, actor, "transfer.linked", reqs[0].id, None, {"ids": [r.id for r in reqs]})
            self._record_gl(conn, actor, posting)
            events.created(conn, actor.username, results)
            return results

        try:
            return self.run(work)
        except LinkedTransferFailed as err:
            if isinstance(err.cause, GLMovementRefused):
                self._refused(actor, err.cause, reqs[0].id)
            raise

    def post_batch(self, actor: Actor, reqs: Sequence[TransferRequest]) -> list[TransferResult | QenexError]:
        """Settlement and import path: many transfers per transaction, each accepted or refused on its own."""
        from core.ledger.batch import post_batch

        self.authorize(actor, Permission.BATCH_POST)
        return post_batch(self, actor, reqs)

    def post_pending(self, actor: Actor, pending_id: str, amount: int | None = None,
                     id: str | None = None) -> TransferResult:
        self.authorize(actor, Permission.PENDING_RESOLVE, pending_id)
        return pending_ops.resolve(self, actor, pending_id, post=True, amount=amount, id=id)

    def void_pending(self, actor: Actor, pending_id: str, id: str | None = None) -> TransferResult:
        self.authorize(actor, Permission.PENDING_RESOLVE, pending_id)
        return pending_ops.resolve(self, actor, pending_id, post=False, amount=None, id=id)

    def expire_pending(self, actor: Actor, limit: int = 1000) -> int:
        """Release holds whose timeout has passed; returns how many expired."""
        self.authorize(actor, Permission.PENDING_RESOLVE)
        return pending_ops.expire(self, actor, limit)

    def correct(self, actor: Actor, transfer_id: str, id: str | None = None, description: str = "") -> TransferResult:
        """Undo a posted transfer with a correcting transfer that references it (entries stay immutable)."""
        self.authorize(actor, Permission.TRANSFER_CORRECT, transfer_id)
        original = self.transfer_row(actor, transfer_id)
        nums = queries.numbers_for(self.engine, [original["debit_account_id"], original["credit_account_id"]])
        return self.transfer(actor, TransferRequest(
            id=id or f"{transfer_id}:correction", debit=nums[original["credit_account_id"]],
            credit=nums[original["debit_account_id"]], amount=original["amount"], currency=original["currency"],
            code="correction", description=description or f"correction of {transfer_id}", reverses_id=transfer_id,
        ))

    def _write(self, conn: Connection, posting: Posting) -> None:
        store.write_posting(conn, posting.transfers, posting.entries, posting.touched.values())

