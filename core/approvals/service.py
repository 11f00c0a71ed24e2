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
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from core.approvals import authority, limits, store
from core.approvals.asking import Asking
from core.approvals.deciding import Deciding
from core.approvals.errors import ApprovalRequired
from core.approvals.policy import Need, Policy, why
from core.approvals.reading import ApprovalDetail, Reading
from core.ledger import money
from core.security.roles import Actor, Role

__all__ = ["ApprovalDetail", "Approvals"]


class Approvals(Asking, Reading, Deciding):
    """Four eyes over the desk's Ledger: the ledger's gate and the limits here; asking in ``core.approvals.asking``,
    reading in ``core.approvals.reading``, deciding and expiry in ``core.approvals.deciding``."""

    def __init__(self, ledger: Any, policy: Policy | None = None) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.policy = policy or Policy()

    # -- the ledger's gate ------------------------------------------------------------------------
    def need(self, conn: Connection | Engine, actor: Actor, req: Any, debit: Any, credit: Any) -> Need | None:
        need = self.policy.need(conn, actor, req, debit, credit)
        if need is not None and not _gl_refused(actor, req, debit, credit):
            # nothing held or asked when no checker's limit covers it; a GL account the actor may not touch is
            # refused first, by the posting's own rule (core.ledger.desk_controls), whatever the amount
            authority.refuse_uncovered(self.policy, conn, need.kind, req.amount, req.currency)
        return need

    def would_wait(self, actor: Actor, amount: int, currency: str) -> str | None:
        """Before a confirmation: why ``amount`` out of a customer's account would wait for a second person
        (above ``actor``'s limit), or None. AboveEveryApprovalLimit (what to do instead) when no checker's limit
        covers it: the posting would refuse it, so the confirmation never says it "waits for approval". The
        posting decides again in its own transaction."""
        need = self.policy.limit_need(self.engine, actor, amount, currency)
        if need is None:
            return None
        authority.refuse_uncovered(self.policy, self.engine, need.kind, amount, currency)  # as ``need`` does
        return why(need, actor, currency)

    def would_wait_overdraft(self, actor: Actor, amount: int, currency: str, current: int = 0) -> str | None:
        """Before a confirmation: why an overdraft limit of ``amount`` (up from ``current``) would wait for a
        supervisor, or None: ``actor`` sets it alone. AboveEveryApprovalLimit when no checker's overdraft limit
        covers it (opening the account or setting the limit would refuse it). Configuration only: no database."""
        from core.approvals import overdraft

        currency = money.currency(currency)
        need = self.policy.overdraft_need(actor, currency, amount, current)
        if need is None:
            return None
        authority.refuse_uncovered(self.policy, self.engine, "overdraft", amount, currency)
        return overdraft.describe(need, actor, currency)

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
                           {"kind": need.kind, "transfer": req.id, **money.figure(req.amount, req.currency),
                            "expires_at": expires_at.isoformat()})
        return request_id

    def refuse_direct(self, actor: Actor, what: str, how: str) -> None:
        """ApprovalRequired for a person doing ``what`` directly."""
        if actor.role is not Role.SYSTEM:
            raise ApprovalRequired(f"{what} needs a second person: {how}; nothing was changed")

    # -- limits (core.approvals.limits) ----------------------------------------------------------------
    def limits(self, actor: Actor, currencies: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Each role's limit per currency: the configured rows, and the default for ``currencies``."""
        return limits.show(self, actor, currencies)

    def set_limit(self, actor: Actor, role: str, currency: str, amount: int) -> dict[str, Any]:
        """Set ``role``'s limit in ``currency`` (minor units; 0: every transfer from a customer asks)."""
        return limits.set_limit(self, actor, role, currency, amount)


def _gl_refused(actor: Actor, req: Any, debit: Any, credit: Any) -> bool:
    """Whether the posting's GL rule (``desk_controls.check_resolve``, by the transfer's code) will refuse it."""
    from core.ledger import desk_controls

    try:
        desk_controls.check_resolve(actor, debit, credit, getattr(req, "code", None),
                                    getattr(req, "description", "") or "")
    except desk_controls.GLMovementRefused:
        return True
    return False
