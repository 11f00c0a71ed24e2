"""Approval requests as rows and as views; the event each change publishes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from core.approvals.errors import ApprovalNotFound
from core.approvals.states import STATE_WORDS, STATES  # noqa: F401 - re-exported
from core.events import APPROVAL_DECIDED, APPROVAL_REQUESTED, account_list, publish
from core.ledger.money import format_minor, plain
from core.persistence.models import ApprovalRequest

R = ApprovalRequest.__table__
MONEY_KINDS = ("transfer", "gl", "correction")  # their funds are held in a pending transfer
KIND_TEXT = {"transfer": "Transfer above limit", "gl": "GL movement", "correction": "Correction",
             "freeze": "Account freeze", "close": "Account closure", "hold_release": "Hold release",
             "overdraft": "Overdraft limit"}
# STATES, STATE_WORDS: core.approvals.states (re-exported here)


@dataclass(frozen=True)
class ApprovalView:
    """One request. Amounts in minor units; ``state`` is ``expired`` once ``expires_at`` passed even if
    nobody swept it yet (its funds are free from that moment: the pending transfer's timeout)."""

    id: int
    kind: str
    state: str
    account: str | None
    counter_account: str | None
    amount: int | None
    currency: str | None
    limit_amount: int | None
    transfer_id: str | None
    hold_id: int | None
    summary: str
    note: str
    score: float | None
    maker: str
    maker_role: str
    created_at: datetime
    expires_at: datetime
    checker: str | None
    decided_at: datetime | None
    decision_note: str | None
    result: str | None

    @property
    def kind_text(self) -> str:
        return KIND_TEXT.get(self.kind, self.kind)

    @property
    def amount_text(self) -> str:
        return format_minor(self.amount, self.currency) if self.amount is not None and self.currency else ""

    @property
    def waiting(self) -> bool:
        return self.state == "pending"

    @property
    def state_word(self) -> str:
        """``state`` as people read it: "waiting" for pending (console and CLI say the same)."""
        return STATE_WORDS.get(self.state, self.state)

    def to_dict(self) -> dict[str, Any]:
        c = self.currency
        return {"id": self.id, "kind": self.kind, "kind_text": self.kind_text, "state": self.state,
                "account": self.account, "counter_account": self.counter_account,
                "amount": plain(self.amount, c) if self.amount is not None and c else None, "currency": c,
                "limit": plain(self.limit_amount, c) if self.limit_amount is not None and c else None,
                "transfer_id": self.transfer_id, "hold_id": self.hold_id, "summary": self.summary, "note": self.note,
                "score": None if self.score is None else round(self.score, 4), "maker": self.maker,
                "maker_role": self.maker_role, "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(), "checker": self.checker,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "decision_note": self.decision_note, "result": self.result}


_FIELDS = ("id", "kind", "state", "account", "counter_account", "amount", "currency", "limit_amount", "transfer_id",
           "hold_id", "summary", "note", "score", "maker", "maker_role", "created_at", "expires_at", "checker",
           "decided_at", "decision_note", "result")


def view(row: Any, now: datetime) -> ApprovalView:
    m = dict(row._mapping)
    if m["state"] == "pending" and m["expires_at"] <= now:
        m["state"] = "expired"
    return ApprovalView(**{k: m[k] for k in _FIELDS})


def insert_request(conn: Connection, now: datetime, **values: Any) -> int:
    """Insert a pending request and publish ``approval.requested``; returns its id."""
    values.setdefault("note", "")
    request_id = conn.execute(insert(R).values(state="pending", created_at=now, **values).returning(R.c.id)).scalar_one()
    publish(conn, APPROVAL_REQUESTED, {"id": request_id, "kind": values["kind"], "maker": values["maker"],
                                       **account_list([values.get("account"), values.get("counter_account")])})
    return request_id


def get(conn: Connection, request_id: int, now: datetime, *, lock: bool = False) -> ApprovalView:
    if isinstance(request_id, bool) or not isinstance(request_id, int) or not 0 < request_id < 2**63:
        raise ApprovalNotFound(f"no approval request {request_id!r}: request numbers are positive whole numbers "
                               "(see qenex approvals list)", id=request_id)
    query = select(R).where(R.c.id == request_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise ApprovalNotFound(f"no approval request {request_id}", id=request_id)
    return view(row, now)


def decide(conn: Connection, req: ApprovalView, state: str, checker: str | None, now: datetime,
           note: str | None, result: str | None) -> bool:
    """Move a pending request to ``state`` and publish ``approval.decided``; False if it was no longer pending."""
    done = conn.execute(update(R).where(R.c.id == req.id, R.c.state == "pending").values(
        state=state, checker=checker, decided_at=now, decision_note=note, result=result)).rowcount
    if done:
        publish(conn, APPROVAL_DECIDED, {"id": req.id, "kind": req.kind, "state": state, "checker": checker,
                                         **account_list([req.account, req.counter_account])})
    return bool(done)


def pending_for_transfer(conn: Connection, transfer_id: str) -> Any:
    return conn.execute(select(R).where(R.c.transfer_id == transfer_id, R.c.state == "pending")).first()


def query(state: str, maker: str | None, now: datetime, account: str | None = None):  # noqa: ANN201
    """Requests in ``state``: waiting (pending, not expired), decided (anything else), or all."""
    q = select(R)
    if state == "waiting":
        q = q.where(R.c.state == "pending", R.c.expires_at > now)
    elif state == "decided":
        q = q.where(or_(R.c.state != "pending", R.c.expires_at <= now))
    elif state in STATES:
        q = q.where(R.c.state == state)
    if maker is not None:
        q = q.where(R.c.maker == maker)
    if account is not None:
        q = q.where(or_(R.c.account == account, R.c.counter_account == account))
    return q
