"""Deciding four-eyes requests: approve (within the checker's own limit, ``core.approvals.authority``), reject
with a reason, the maker's withdrawal (a state of its own, ``withdrawn``, never "rejected"), bulk decisions with a result per item, and expiry. The maker never
decides their own request; every decision and refusal is audited. Mixed into
``core.approvals.service.Approvals``, whose ledger, engine and policy it uses.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from core import reasons
from core.approvals import authority, execute, store
from core.approvals.asking import check_note
from core.approvals.errors import (
    ApprovalExpired, ApprovalNotPending, CheckerRequired, InvalidApproval, OwnRequest,
)
from core.approvals.store import ApprovalView
from core.errors import PermissionDenied, QenexError
from core.security.roles import Actor, Permission, Role

R = store.R


class Deciding:
    """``Approvals``' decisions (see the module doc)."""

    ledger: Any
    engine: Any
    policy: Any

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
        """Refusals that write their own record (own request, expired, above the checker's own limit), before
        the deciding transaction."""
        with self.engine.connect() as conn:
            req = store.get(conn, request_id, self.ledger.clock())
        self._refuse_own(actor, req, verb)
        self._pending(req)
        if verb == "approve":
            try:
                authority.check(self.policy, self.engine, actor, req)
            except QenexError as err:
                self.ledger.run(lambda conn: self.ledger.record(
                    conn, actor, "approval.refused", f"approval:{req.id}", None,
                    {"reason": "above the checker's limit", "verb": verb, "limit": err.details.get("limit")}))
                raise

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
        note = check_note(note, "the note")

        self._before_deciding(actor, request_id, "approve")

        def work(conn: Connection) -> ApprovalView:
            now = self.ledger.clock()
            req = store.get(conn, request_id, now, lock=True)
            self._pending(req, expire=False)
            authority.check(self.policy, conn, actor, req)  # again: a limit may have changed meanwhile
            result = execute.approve(self.ledger, conn, actor, req, note)
            return self._decided(conn, actor, req, now, "approved", ("note", note), result)

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
            return self._decided(conn, actor, req, now, "rejected", ("reason", reason), result)

        return self.ledger.run(work)

    def _decided(self, conn: Connection, actor: Actor, req: Any, now: Any, state: str, why: tuple[str, str],
                 result: Any) -> ApprovalView:
        """Record the decision ``state`` (approved | rejected) with its note or reason ``why`` (key, text) and audit
        it; ApprovalNotPending if another desk decided the request meanwhile."""
        if not store.decide(conn, req, state, actor.username, now, why[1], result):
            raise ApprovalNotPending(f"request #{req.id} was decided at another desk meanwhile; refresh", id=req.id)
        self.ledger.record(conn, actor, "approval." + ("approve" if state == "approved" else "reject"),
                           f"approval:{req.id}", {"state": "pending"},
                           {"state": state, "kind": req.kind, "maker": req.maker, why[0]: why[1], "result": result})
        return store.get(conn, req.id, now)

    def withdraw(self, actor: Actor, request_id: int, note: str = "") -> ApprovalView:
        """The maker takes back their own waiting request: held funds are released, nothing else happens."""
        note = check_note(note, "the note") or "withdrawn by the maker"
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
            result = execute.undo(self.ledger, conn, actor, req)
            if not store.decide(conn, req, "withdrawn", actor.username, now, note, result):  # a state of its own
                raise ApprovalNotPending(f"request #{req.id} was decided at another desk meanwhile; refresh", id=req.id)
            self.ledger.record(conn, actor, "approval.withdraw", f"approval:{req.id}", {"state": "pending"},
                               {"state": "withdrawn", "kind": req.kind, "note": note, "result": result})
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
