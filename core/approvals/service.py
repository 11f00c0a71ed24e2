"""The approvals service: requests that wait for a second person, the checker's inbox, approve, reject,
bulk decisions with a result per item, expiry. Rules in ``core.approvals.policy``.

Attached to the desk's Ledger as ``ledger.four_eyes`` (``app.services``): from then on the ledger holds
a person's transfer that needs approval as a pending transfer (funds reserved, nothing posted) and
records the request in the same transaction; freezing, closing and releasing holds directly are refused
for people (ask through ``request_status`` / ``request_hold_release``). The maker never decides their
own request; approving needs ``approval.decide`` and a named person (never the system operator).
Every request, decision, refusal and expiry is in the audit trail and on the live-update bus.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from core import reasons
from core.approvals import execute, limits, store
from core.approvals.errors import (
    ApprovalExpired, ApprovalNotPending, ApprovalRequired, CheckerRequired, InvalidApproval, OwnRequest,
)
from core.approvals.policy import Need, Policy, why
from core.approvals.store import ApprovalView
from core.errors import PermissionDenied, QenexError
from core.ledger import money, numbers, queries
from core.ledger.errors import AccountNotEmpty, AccountNotFound
from core.ledger.views import AccountView, StatementLine
from core.persistence.models import FraudScore
from core.security.roles import Actor, Permission, Role, sees_fraud_details
from core.teller import holds

R, S = store.R, FraudScore.__table__
MAX_NOTE = 200
LIST_STATES = ("waiting", "decided", "all", *store.STATES)


@dataclass(frozen=True)
class ApprovalDetail:
    """What a checker sees: the request, the account now, its recent activity and the fraud score."""

    request: ApprovalView
    account: AccountView | None
    activity: list[StatementLine]
    decision: str | None  # the fraud screen's decision on the held transfer (approve, review), if screened
    reasons: tuple[str, ...]
    open_alert: int | None = None  # the fraud alert still open on the held transfer: an analyst decides it

    def to_dict(self) -> dict[str, Any]:
        c = self.account.currency if self.account else None
        return {"request": self.request.to_dict(), "account": self.account.to_dict() if self.account else None,
                "fraud": {"score": self.request.score, "decision": self.decision, "reasons": list(self.reasons),
                          "open_alert": self.open_alert},
                "activity": [{"at": ln.at.isoformat(), "transfer_id": ln.transfer_id, "code": ln.code,
                              "description": ln.description, "amount": money.plain(ln.amount, c),
                              "balance_after": money.plain(ln.balance_after, c)} for ln in self.activity] if c else []}


def _note(note: str | None, what: str, required: bool = False) -> str:
    text = " ".join((note or "").split())
    if len(text) > MAX_NOTE:
        raise InvalidApproval(f"{what} has at most {MAX_NOTE} characters, got {len(text)}", field="note")
    if required and not text:
        raise InvalidApproval(f"{what} is needed: say why, so the maker knows what to do", field="note")
    if any(not ch.isprintable() for ch in text):
        raise InvalidApproval(f"{what} holds control characters; type plain text", field="note")
    return text


def _screened(actor: Actor, view: ApprovalView) -> ApprovalView:
    """The request as ``actor`` may see it: the fraud score only with ``alert.view`` (QA #28: a teller is not
    shown how the screen rates a payment, on the Approvals page as on the Activity tab)."""
    return view if view.score is None or sees_fraud_details(actor) else replace(view, score=None)


class Approvals:
    def __init__(self, ledger: Any, policy: Policy | None = None) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.policy = policy or Policy()

    # -- the ledger's gate ------------------------------------------------------------------------
    def need(self, conn: Connection | Engine, actor: Actor, req: Any, debit: Any, credit: Any) -> Need | None:
        return self.policy.need(conn, actor, req, debit, credit)

    def would_wait(self, actor: Actor, amount: int, currency: str) -> str | None:
        """Before a confirmation: why ``amount`` out of a customer's account would wait for a second person
        (above ``actor``'s limit), or None. The posting decides again in its own transaction."""
        need = self.policy.limit_need(self.engine, actor, amount, currency)
        return None if need is None else why(need, actor, currency)

    def expires(self, now: datetime) -> datetime:
        return now + self.policy.expiry

    def opened(self, conn: Connection, actor: Actor, req: Any, need: Need, expires_at: datetime,
               score: float | None) -> int:
        """Record the request for a transfer the ledger just held (same transaction)."""
        amount = money.format_minor(req.amount, req.currency)
        what = {"transfer": f"{amount} from {req.debit} to {req.credit}, above the {actor.role} limit of "
                            f"{money.format_minor(need.limit or 0, req.currency)}",
                "gl": f"{amount} from {req.debit} to {req.credit} (a bank GL account)",
                "correction": f"correction of {req.reverses_id}: {amount} back from {req.debit} to {req.credit}"}
        request_id = store.insert_request(
            conn, self.ledger.clock(), kind=need.kind, account=req.debit, counter_account=req.credit,
            amount=req.amount, currency=req.currency, limit_amount=need.limit, transfer_id=req.id,
            summary=what[need.kind][:300], note=(req.description or "")[:200], score=score, maker=actor.username,
            maker_role=str(actor.role), maker_device=actor.device, expires_at=expires_at)
        self.ledger.record(conn, actor, "approval.request", f"approval:{request_id}", None,
                           {"kind": need.kind, "transfer": req.id, "amount": money.plain(req.amount, req.currency),
                            "currency": req.currency, "expires_at": expires_at.isoformat()})
        return request_id

    def refuse_direct(self, actor: Actor, what: str, how: str) -> None:
        """ApprovalRequired for a person doing ``what`` directly."""
        if actor.role is not Role.SYSTEM:
            raise ApprovalRequired(f"{what} needs a second person: {how}; nothing was changed")

    # -- asking -------------------------------------------------------------------------------------
    def _may_request(self, actor: Actor, permission: Permission, target: str) -> None:
        if not (actor.can(Permission.APPROVAL_REQUEST) or actor.can(permission)):
            self.ledger.authorize(actor, Permission.APPROVAL_REQUEST, target)

    def request_status(self, actor: Actor, account: str, status: str, note: str = "") -> ApprovalView:
        """Ask for ``account`` to be frozen or closed (``status``: frozen | closed)."""
        if status not in ("frozen", "closed"):
            raise InvalidApproval(f"ask for 'frozen' or 'closed', got {status!r}", field="status")
        number = numbers.validate(account)
        self._may_request(actor, Permission.ACCOUNT_STATUS, number)
        note = _note(note, "the note")
        kind = "freeze" if status == "frozen" else "close"

        def work(conn: Connection) -> ApprovalView:
            return self.request_on(conn, actor, kind, number, note)

        return self.ledger.run(work)

    def request_on(self, conn: Connection, actor: Actor, kind: str, number: str, note: str) -> ApprovalView:
        """A freeze or closure request inside the caller's transaction (a fraud disposition asks for a freeze);
        an identical request already waiting is returned instead of a second one."""
        now = self.ledger.clock()
        acc = queries.account_view(conn, number, now)
        target = "frozen" if kind == "freeze" else "closed"
        if acc.status == target:
            raise InvalidApproval(f"account {number} is already {target}", field="account")
        if acc.status == "closed":
            raise InvalidApproval(f"account {number} is closed; closed accounts do not change", field="account")
        if kind == "close" and (acc.current != 0 or acc.available != acc.current):
            raise AccountNotEmpty(f"account {number} still holds {money.format_minor(acc.current, acc.currency)} or "
                                  "pending transfers; move them out before asking to close it", account=number)
        same = conn.execute(store.query("waiting", None, now, number).where(R.c.kind == kind)).first()
        if same is not None:
            return store.view(same, now)
        summary = f"{'freeze' if kind == 'freeze' else 'close'} account {number} ({acc.name})"
        request_id = store.insert_request(conn, now, kind=kind, account=number, summary=summary[:300], note=note,
                                          maker=actor.username, maker_role=str(actor.role),
                                          maker_device=actor.device, expires_at=self.expires(now))
        self.ledger.record(conn, actor, "approval.request", f"approval:{request_id}", None,
                           {"kind": kind, "account": number, "requested_status": target, "note": note})
        return store.get(conn, request_id, now)

    def request_hold_release(self, actor: Actor, hold_pk: int, note: str = "") -> ApprovalView:
        """Ask for hold ``hold_pk`` to be released before its expiry, saying why (``core.reasons``: the checker
        reads it; an empty or one-word answer is refused)."""
        self._may_request(actor, Permission.HOLD_RELEASE, str(hold_pk))
        note = reasons.check(note, "the reason for releasing the hold", field="note", error=InvalidApproval)

        def work(conn: Connection) -> ApprovalView:
            now = self.ledger.clock()
            hold = holds.get(conn, hold_pk, now)
            if hold.state != "active":
                raise holds.HoldNotActive(f"hold {hold_pk} on {hold.account} is already {hold.state}; nothing to "
                                          "release", hold=hold_pk)
            same = conn.execute(store.query("waiting", None, now).where(R.c.kind == "hold_release",
                                                                        R.c.hold_id == hold_pk)).first()
            if same is not None:
                return store.view(same, now)
            summary = f"release hold {hold_pk}: {holds.describe(hold)}"
            request_id = store.insert_request(
                conn, now, kind="hold_release", account=hold.account, amount=hold.amount, currency=hold.currency,
                hold_id=hold_pk, summary=summary[:300], note=note, maker=actor.username, maker_role=str(actor.role),
                maker_device=actor.device, expires_at=min(self.expires(now), hold.expires_at))
            self.ledger.record(conn, actor, "approval.request", f"approval:{request_id}", None,
                               {"kind": "hold_release", "hold": hold_pk, "account": hold.account, "note": note})
            return store.get(conn, request_id, now)

        return self.ledger.run(work)

    # -- reading ------------------------------------------------------------------------------------
    def _scope(self, actor: Actor) -> str | None:
        """None: every request (checkers, the system); else only the actor's own (makers)."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW)
        if actor.can(Permission.APPROVAL_DECIDE) or actor.role is Role.SYSTEM:  # the system reads, never decides
            return None
        if actor.can(Permission.APPROVAL_REQUEST) or actor.can(Permission.TRANSFER_POST):
            return actor.username
        self.ledger.authorize(actor, Permission.APPROVAL_DECIDE)  # audited refusal
        return actor.username

    def list(self, actor: Actor, state: str = "waiting", offset: int = 0, limit: int = 200,
             account: str | None = None) -> list[ApprovalView]:
        """Requests, oldest waiting first (``waiting``) or newest first; a maker sees only their own."""
        if state not in LIST_STATES:
            raise InvalidApproval(f"state is one of {', '.join(LIST_STATES)}, got {state!r}", field="state")
        maker, now = self._scope(actor), self.ledger.clock()
        number = numbers.validate(account) if account else None
        order = R.c.id.asc() if state == "waiting" else R.c.id.desc()
        with self.engine.connect() as conn:
            rows = conn.execute(store.query(state, maker, now, number).order_by(order).offset(offset).limit(limit))
            return [_screened(actor, store.view(r, now)) for r in rows]

    def count(self, actor: Actor, state: str = "waiting") -> int:
        maker, now = self._scope(actor), self.ledger.clock()
        with self.engine.connect() as conn:
            sub = store.query(state, maker, now).subquery()
            return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())

    def get(self, actor: Actor, request_id: int) -> ApprovalView:
        maker = self._scope(actor)
        with self.engine.connect() as conn:
            req = store.get(conn, request_id, self.ledger.clock())
        if maker is not None and req.maker != maker:
            raise PermissionDenied(f"request #{request_id} is someone else's; makers see their own requests",
                                   permission=Permission.APPROVAL_DECIDE.value)
        return _screened(actor, req)

    def detail(self, actor: Actor, request_id: int, activity: int = 10) -> ApprovalDetail:
        """The request with its account (balances now), the last ``activity`` statement lines and the fraud
        screen's score, decision and reasons (only for those who see fraud details, ``alert.view``: a teller's
        view has none, as on the teller's Activity tab)."""
        req = self.get(actor, request_id)
        account, lines, decision, reasons, alert = None, [], None, (), None
        with self.engine.connect() as conn:
            if req.account:
                try:
                    account = queries.account_view(conn, req.account, self.ledger.clock())
                except AccountNotFound:
                    account = None
            if req.transfer_id and actor.can(Permission.ALERT_VIEW):
                alert = execute.open_alert(conn, req.transfer_id)
                row = conn.execute(select(S.c.decision, S.c.reasons).where(S.c.transfer_id == req.transfer_id)).first()
                if row is not None:
                    import json

                    decision, reasons = row.decision, tuple(json.loads(row.reasons or "[]"))
        if account is not None:
            lines = queries.statement(self.engine, account.number, activity, None).lines
        return ApprovalDetail(req, account, lines, decision, reasons, alert)

    # -- deciding -----------------------------------------------------------------------------------
    def _checker(self, actor: Actor, request_id: object) -> None:
        try:  # APPROVAL_DECIDE is human-only (core.security.roles.HUMAN_ONLY): the system operator is refused too
            self.ledger.authorize(actor, Permission.APPROVAL_DECIDE, f"approval:{request_id}")
        except PermissionDenied as err:
            if actor.role is Role.SYSTEM:
                raise CheckerRequired(err.message, permission=Permission.APPROVAL_DECIDE.value) from None
            raise

    def _refuse_own(self, actor: Actor, req: ApprovalView, verb: str) -> None:
        if req.maker == actor.username:
            self.ledger.run(lambda conn: self.ledger.record(
                conn, actor, "approval.refused", f"approval:{req.id}", None, {"reason": "own request", "verb": verb}))
            raise OwnRequest(f"request #{req.id} is your own; another supervisor must {verb} it (four eyes)",
                             id=req.id)

    def _before_deciding(self, actor: Actor, request_id: int, verb: str) -> None:
        """Refusals that write their own record (own request, expired), before the deciding transaction."""
        with self.engine.connect() as conn:
            req = store.get(conn, request_id, self.ledger.clock())
        self._refuse_own(actor, req, verb)
        self._pending(req)

    def _pending(self, req: ApprovalView, expire: bool = True) -> None:
        if req.state == "expired":
            if expire:
                self._expire_one(req.id)
            raise ApprovalExpired(f"request #{req.id} expired at {req.expires_at:%Y-%m-%d %H:%M} UTC; its held funds "
                                  "were released and nothing was done; the maker can ask again", id=req.id)
        if req.state != "pending":
            by = f" by {req.checker}" if req.checker else ""
            raise ApprovalNotPending(f"request #{req.id} was already {req.state}{by}; refresh the inbox", id=req.id)

    def approve(self, actor: Actor, request_id: int, note: str = "") -> ApprovalView:
        """Carry out the request as ``actor`` (post the held transfer, freeze, close, release the hold)."""
        self._checker(actor, request_id)
        note = _note(note, "the note")

        self._before_deciding(actor, request_id, "approve")

        def work(conn: Connection) -> ApprovalView:
            now = self.ledger.clock()
            req = store.get(conn, request_id, now, lock=True)
            self._pending(req, expire=False)
            result = execute.approve(self.ledger, conn, actor, req, note)
            if not store.decide(conn, req, "approved", actor.username, now, note, result):
                raise ApprovalNotPending(f"request #{req.id} was decided at another desk meanwhile; refresh", id=req.id)
            self.ledger.record(conn, actor, "approval.approve", f"approval:{req.id}", {"state": "pending"},
                               {"state": "approved", "kind": req.kind, "maker": req.maker, "note": note,
                                "result": result})
            return store.get(conn, req.id, now)

        return self.ledger.run(work)

    def reject(self, actor: Actor, request_id: int, reason: str) -> ApprovalView:
        """Refuse the request with ``reason`` (required): held funds are released, nothing else happens."""
        self._checker(actor, request_id)
        reason = reasons.check(reason, "a reason for rejecting", field="note", error=InvalidApproval)

        self._before_deciding(actor, request_id, "reject")

        def work(conn: Connection) -> ApprovalView:
            now = self.ledger.clock()
            req = store.get(conn, request_id, now, lock=True)
            self._pending(req, expire=False)
            result = execute.undo(self.ledger, conn, actor, req)
            if not store.decide(conn, req, "rejected", actor.username, now, reason, result):
                raise ApprovalNotPending(f"request #{req.id} was decided at another desk meanwhile; refresh", id=req.id)
            self.ledger.record(conn, actor, "approval.reject", f"approval:{req.id}", {"state": "pending"},
                               {"state": "rejected", "kind": req.kind, "maker": req.maker, "reason": reason,
                                "result": result})
            return store.get(conn, req.id, now)

        return self.ledger.run(work)

    def withdraw(self, actor: Actor, request_id: int, note: str = "") -> ApprovalView:
        """The maker takes back their own waiting request: held funds are released, nothing else happens."""
        note = _note(note, "the note") or "withdrawn by the maker"
        with self.engine.connect() as conn:
            first = store.get(conn, request_id, self.ledger.clock())
        if first.maker != actor.username:
            self.ledger.authorize(actor, Permission.APPROVAL_DECIDE, f"approval:{request_id}")
            raise InvalidApproval(f"request #{request_id} is {first.maker}'s: only its maker withdraws it; a supervisor "
                                  "rejects it with a reason instead", id=request_id)
        self._pending(first)

        def work(conn: Connection) -> ApprovalView:
            now = self.ledger.clock()
            req = store.get(conn, request_id, now, lock=True)
            self._pending(req, expire=False)
            result = "withdrawn by the maker; " + execute.undo(self.ledger, conn, actor, req)
            if not store.decide(conn, req, "rejected", actor.username, now, note, result):
                raise ApprovalNotPending(f"request #{req.id} was decided at another desk meanwhile; refresh", id=req.id)
            self.ledger.record(conn, actor, "approval.withdraw", f"approval:{req.id}", {"state": "pending"},
                               {"state": "rejected", "kind": req.kind, "note": note, "result": result})
            return store.get(conn, req.id, now)

        return self.ledger.run(work)

    def approve_many(self, actor: Actor, ids: Sequence[int], note: str = "") -> list[ApprovalView | QenexError]:
        """Approve each request on its own (one transaction each); a result or a refusal per id, in order."""
        return [self._each(lambda i: self.approve(actor, i, note), i) for i in dict.fromkeys(ids)]

    def reject_many(self, actor: Actor, ids: Sequence[int], reason: str) -> list[ApprovalView | QenexError]:
        reasons.check(reason, "a reason for rejecting", field="note", error=InvalidApproval)  # once, before any item
        return [self._each(lambda i: self.reject(actor, i, reason), i) for i in dict.fromkeys(ids)]

    def withdraw_many(self, actor: Actor, ids: Sequence[int], note: str = "") -> list[ApprovalView | QenexError]:
        return [self._each(lambda i: self.withdraw(actor, i, note), i) for i in dict.fromkeys(ids)]

    @staticmethod
    def _each(call: Any, request_id: int) -> ApprovalView | QenexError:
        try:
            return call(request_id)
        except QenexError as err:
            return err

    # -- expiry ---------------------------------------------------------------------------------------
    def expire(self, actor: Actor, limit: int = 500) -> int:
        """Close requests whose time passed, releasing what they held; returns how many. A checker's (or the
        system's scheduled) job: ``approval.expire`` (a maker's expired request also closes when it is next decided)."""
        self.ledger.authorize(actor, Permission.APPROVAL_EXPIRE, "approvals:expire")
        now = self.ledger.clock()
        with self.engine.connect() as conn:
            due = list(conn.execute(select(R.c.id).where(R.c.state == "pending", R.c.expires_at <= now)
                                    .order_by(R.c.id).limit(limit)).scalars())
        return sum(self._expire_one(i, actor) for i in due)

    def _expire_one(self, request_id: int, actor: Actor | None = None) -> int:
        from core.security.roles import SYSTEM_ACTOR

        actor = actor or SYSTEM_ACTOR

        def work(conn: Connection) -> int:
            now = self.ledger.clock()
            req = store.get(conn, request_id, now, lock=True)
            if req.state != "expired":
                return 0
            raw = conn.execute(select(R.c.state).where(R.c.id == request_id)).scalar_one()
            if raw != "pending":
                return 0
            result = execute.undo(self.ledger, conn, actor, req)
            if store.decide(conn, req, "expired", None, now, None, result):
                self.ledger.record(conn, actor, "approval.expire", f"approval:{req.id}", {"state": "pending"},
                                   {"state": "expired", "kind": req.kind, "maker": req.maker, "result": result})
            return 1

        return self.ledger.run(work)

    # -- limits (core.approvals.limits) ----------------------------------------------------------------
    def limits(self, actor: Actor, currencies: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Each role's limit per currency: the configured rows, and the default for ``currencies``."""
        return limits.show(self, actor, currencies)

    def set_limit(self, actor: Actor, role: str, currency: str, amount: int) -> dict[str, Any]:
        """Set ``role``'s limit in ``currency`` (minor units; 0: every transfer from a customer asks)."""
        return limits.set_limit(self, actor, role, currency, amount)
