"""Each role's four-eyes limit per currency: shown with where it comes from, set (audited) by an
administrator or the system operator. Rules in ``core.approvals.policy``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from core.approvals.errors import InvalidApproval
from core.approvals.policy import LIMIT_ROLES
from core.ledger import money
from core.persistence.models import ApprovalLimit
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.approvals.service import Approvals

L = ApprovalLimit.__table__


def show(approvals: Approvals, actor: Actor, currencies: Sequence[str] = ()) -> list[dict[str, Any]]:
    approvals.ledger.authorize(actor, Permission.LEDGER_VIEW)
    with approvals.engine.connect() as conn:
        rows = {(r.role, r.currency): r for r in conn.execute(select(L))}
    wanted = sorted({c for _, c in rows} | {money.currency(c) for c in currencies} or {"USD"})
    out = []
    for role in LIMIT_ROLES:
        for cur in wanted:
            row = rows.get((role, cur))
            amount = row.amount if row else money.to_minor(approvals.policy.defaults[role], cur, allow_zero=True)
            out.append({"role": role, "currency": cur, "limit": money.plain(amount, cur),
                        "source": f"set by {row.set_by}" if row else "default"})
    return out


def set_limit(approvals: Approvals, actor: Actor, role: str, currency: str, amount: int) -> dict[str, Any]:
    ledger = approvals.ledger
    ledger.authorize(actor, Permission.SETTINGS_CHANGE, f"approval-limit:{role}")
    role = (role or "").strip().lower()
    if role not in LIMIT_ROLES:
        raise InvalidApproval(f"limits are set for {' or '.join(LIMIT_ROLES)}, got {role!r}", field="role")
    currency = money.currency(currency)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidApproval(f"a limit is zero or more minor units, got {amount!r}", field="amount")

    def work(conn: Connection) -> dict[str, Any]:
        now = ledger.clock()
        old = conn.execute(select(L.c.amount).where(L.c.role == role, L.c.currency == currency)).scalar()
        if old is None:
            conn.execute(L.insert().values(role=role, currency=currency, amount=amount, set_by=actor.username,
                                           set_at=now))
        else:
            conn.execute(L.update().where(L.c.role == role, L.c.currency == currency)
                         .values(amount=amount, set_by=actor.username, set_at=now))
        ledger.record(conn, actor, "approval.limit", f"{role}:{currency}",
                      None if old is None else {"limit": money.plain(old, currency)}, {"limit": money.plain(amount, currency)})
        return {"role": role, "currency": currency, "limit": money.plain(amount, currency),
                "source": f"set by {actor.username}"}

    result = ledger.run(work)
    approvals.policy.forget()
    return result
