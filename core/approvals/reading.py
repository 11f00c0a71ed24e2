"""Reading four-eyes requests: the inbox (a checker sees every request, a maker their own), one request, and
its detail for the checker (the account now, its recent activity, the fraud screen's view only for those who
see fraud details, and whether the request is above this checker's own limit). Mixed into
``core.approvals.service.Approvals``, whose ledger, engine and policy it uses.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from core.approvals import authority, execute, store
from core.approvals.errors import InvalidApproval
from core.approvals.states import LIST_STATES
from core.approvals.store import ApprovalView
from core.errors import PermissionDenied, QenexError
from core.ledger import money, numbers, queries
from core.ledger.errors import AccountNotFound
from core.ledger.views import AccountView, StatementLine
from core.persistence.models import FraudScore
from core.security.roles import Actor, Permission, Role, sees_fraud_details

R, S = store.R, FraudScore.__table__


@dataclass(frozen=True)
class ApprovalDetail:
    """What a checker sees: the request, the account now, its recent activity and the fraud score."""

    request: ApprovalView
    account: AccountView | None
    activity: list[StatementLine]
    decision: str | None  # the fraud screen's decision on the held transfer (approve, review), if screened
    reasons: tuple[str, ...]
    open_alert: int | None = None  # the fraud alert still open on the held transfer: an analyst decides it
    above_limit: str | None = None  # why this checker may not approve it (above their own limit), in words

    def to_dict(self) -> dict[str, Any]:
        c = self.account.currency if self.account else None
        return {"request": self.request.to_dict(), "account": self.account.to_dict() if self.account else None,
                "fraud": {"score": self.request.score, "decision": self.decision, "reasons": list(self.reasons),
                          "open_alert": self.open_alert},
                "activity": [{"at": ln.at.isoformat(), "transfer_id": ln.transfer_id, "code": ln.code,
                              "description": ln.description, "amount": money.plain(ln.amount, c),
                              "balance_after": money.plain(ln.balance_after, c)} for ln in self.activity] if c else []}


def _screened(actor: Actor, view: ApprovalView) -> ApprovalView:
    """The request as ``actor`` may see it: the fraud score only with ``alert.view`` (QA #28: a teller is not
    shown how the screen rates a payment, on the Approvals page as on the Activity tab)."""
    return view if view.score is None or sees_fraud_details(actor) else replace(view, score=None)


class Reading:
    """``Approvals``' reads (see the module doc)."""

    ledger: Any
    engine: Any
    policy: Any

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
                    decision, reasons = row.decision, tuple(json.loads(row.reasons or "[]"))
        if account is not None:
            lines = queries.statement(self.engine, account.number, activity, None).lines
        above = None
        if req.state == "pending" and req.maker != actor.username and actor.can(Permission.APPROVAL_DECIDE):
            try:
                authority.check(self.policy, self.engine, actor, req)
            except QenexError as err:
                above = err.message
        return ApprovalDetail(req, account, lines, decision, reasons, alert, above)
