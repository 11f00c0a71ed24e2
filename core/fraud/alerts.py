"""The fraud alert queue (read-only): open alerts with the held transfer they are about, newest first."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from core.errors import ValidationError
from core.persistence.models import Account, FraudAlert, Transfer
from core.security import guard
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.security.audit import AuditTrail

MAX_LIMIT = 10_000

_AL = FraudAlert.__table__
_T = Transfer.__table__
_DEBIT = Account.__table__.alias("debit_account")
_CREDIT = Account.__table__.alias("credit_account")


@dataclass(frozen=True)
class AlertView:
    """One open alert. The transfer fields are None only if the alert names no ledger transfer."""

    id: int
    transfer_id: str
    created_at: datetime
    score: float
    reasons: list[str]
    amount: int | None  # minor units of ``currency``
    currency: str | None
    debit: str | None  # account numbers
    credit: str | None
    channel: str | None
    counterparty: str | None
    transfer_state: str | None  # 'pending' while the funds are held

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        amount = None if self.amount is None or self.currency is None else plain(self.amount, self.currency)
        return {"id": self.id, "transfer_id": self.transfer_id, "created_at": self.created_at.isoformat(),
                "score": round(self.score, 4), "reasons": list(self.reasons), "amount": amount,
                "currency": self.currency, "debit": self.debit, "credit": self.credit, "channel": self.channel,
                "counterparty": self.counterparty, "transfer_state": self.transfer_state}


def _reasons(raw: str | None) -> list[str]:
    value = json.loads(raw) if raw else []
    return [str(r) for r in value] if isinstance(value, list) else [str(value)]


def open_alerts(engine: Engine, actor: Actor, *, audit: "AuditTrail | None" = None, offset: int = 0,
                limit: int = 100) -> list[AlertView]:
    """Open alerts, newest first (``offset``/``limit`` page through them). Needs ALERT_VIEW."""
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"page through alerts with offset >= 0 and 1 <= limit <= {MAX_LIMIT}",
                              offset=offset, limit=limit)
    guard.authorize(engine, audit, actor, Permission.ALERT_VIEW, "fraud.alerts")
    query = (
        select(_AL.c.id, _AL.c.transfer_id, _AL.c.created_at, _AL.c.score, _AL.c.reasons, _T.c.amount,
               _T.c.currency, _DEBIT.c.number, _CREDIT.c.number, _T.c.channel, _T.c.counterparty, _T.c.state)
        .select_from(_AL.outerjoin(_T, _T.c.id == _AL.c.transfer_id)
                     .outerjoin(_DEBIT, _DEBIT.c.id == _T.c.debit_account_id)
                     .outerjoin(_CREDIT, _CREDIT.c.id == _T.c.credit_account_id))
        .where(_AL.c.status == "open")
        .order_by(_AL.c.created_at.desc(), _AL.c.id.desc())
        .offset(offset).limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [AlertView(r[0], r[1], r[2], r[3], _reasons(r[4]), *r[5:]) for r in rows]


def count_open_alerts(engine: Engine, actor: Actor, *, audit: "AuditTrail | None" = None) -> int:
    """How many alerts are open. Needs ALERT_VIEW."""
    guard.authorize(engine, audit, actor, Permission.ALERT_VIEW, "fraud.alerts")
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(_AL).where(_AL.c.status == "open")).scalar_one()
