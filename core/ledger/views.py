"""What callers pass to and get back from the ledger: plain, immutable values."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(frozen=True)
class TransferRequest:
    """A transfer as the caller asks for it. ``id`` is the caller's idempotency key."""

    id: str
    debit: str
    credit: str
    amount: int
    currency: str
    pending: bool = False
    timeout_seconds: int | None = None
    code: str = "transfer"
    description: str = ""
    channel: str = "desk"
    counterparty: str | None = None
    counterparty_country: str | None = None
    device: str | None = None
    reverses_id: str | None = None
    at: datetime | None = None

    def fingerprint(self) -> str:
        """A digest of the content (not the id or the desk it came from) to recognise a faithful retry."""
        content = (self.debit, self.credit, self.amount, self.currency, self.pending, self.timeout_seconds,
                   self.code, self.description, self.channel, self.counterparty, self.counterparty_country,
                   self.reverses_id, self.at.isoformat() if self.at else None)
        return hashlib.blake2b(repr(content).encode(), digest_size=16).hexdigest()


class TransferResult(NamedTuple):
    """What a posting did (immutable; a tuple, made four times faster than a frozen dataclass: the batch
    path makes one per transfer)."""

    id: str
    state: str
    kind: str
    amount: int
    currency: str
    debit: str
    credit: str
    created_at: datetime
    replayed: bool = False
    fraud: Any = None  # core.fraud ScreenResult when the transfer was screened
    approval: int | None = None  # the approval request holding it (core.approvals): waiting, not posted

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        data = {
            "id": self.id, "state": self.state, "kind": self.kind, "amount": plain(self.amount, self.currency),
            "currency": self.currency, "debit": self.debit, "credit": self.credit,
            "created_at": self.created_at.isoformat(), "replayed": self.replayed,
        }
        if self.fraud is not None:
            score = self.fraud.score  # None: left out for a teller (core.security.roles.sees_fraud_details)
            data["fraud"] = {"decision": self.fraud.decision, "score": None if score is None else round(score, 4),
                             "reasons": list(self.fraud.reasons)}
        if self.approval is not None:
            data["approval"] = {"id": self.approval, "state": "waiting for approval"}
        return data


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    country: str
    created_at: datetime


@dataclass(frozen=True)
class AccountView:
    id: int
    number: str
    customer_id: int | None
    kind: str
    name: str
    currency: str
    status: str
    overdraft_limit: int | None
    current: int
    available: int
    # set when the overdraft asked for was above the person's limit: the request that waits for a supervisor
    overdraft_request: int | None = None
    overdraft_asked: int | None = None

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        data = {
            "id": self.id, "number": self.number, "customer_id": self.customer_id, "kind": self.kind,
            "name": self.name, "currency": self.currency, "status": self.status,
            "overdraft_limit": None if self.overdraft_limit is None else plain(self.overdraft_limit, self.currency),
            "current": plain(self.current, self.currency), "available": plain(self.available, self.currency),
        }
        if self.overdraft_request is not None and self.overdraft_asked is not None:
            data["overdraft_approval"] = {"id": self.overdraft_request, "state": "waiting for approval",
                                          "overdraft_limit": plain(self.overdraft_asked, self.currency)}
        return data


@dataclass(frozen=True)
class Balance:
    account: str
    currency: str
    current: int
    available: int
    pending_debits: int
    pending_credits: int

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        c = self.currency
        return {"account": self.account, "currency": c, "current": plain(self.current, c),
                "available": plain(self.available, c), "pending_debits": plain(self.pending_debits, c),
                "pending_credits": plain(self.pending_credits, c)}


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    at: datetime
    transfer_id: str
    code: str
    description: str
    amount: int
    balance_after: int


@dataclass
class Statement:
    account: str
    currency: str
    lines: list[StatementLine] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        c = self.currency
        return {"account": self.account, "currency": c, "lines": [
            {"entry_id": ln.entry_id, "at": ln.at.isoformat(), "transfer_id": ln.transfer_id, "code": ln.code,
             "description": ln.description, "amount": plain(ln.amount, c), "balance_after": plain(ln.balance_after, c)}
            for ln in self.lines]}
