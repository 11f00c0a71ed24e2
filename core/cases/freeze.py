"""Freezing a fraudster's account is never one person's decision: confirmed fraud asks a supervisor (four eyes).

The request names the payer's account and the analyst's note; a supervisor approves it in the approvals
inbox (``core.approvals``: the account is then frozen) or rejects it. The request is also recorded on the
alert's timeline and in the audit trail. A ledger without four eyes attached (bare core tests) records only.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from core.cases import timeline
from core.errors import ValidationError
from core.ledger import queries
from core.ledger.errors import AccountNotFound
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger


def request(ledger: "Ledger", conn: Connection, actor: Actor, alert: Any, note: str, now: datetime) -> int | None:
    """Ask a supervisor to freeze ``alert``'s paying account; returns the approval request's id (if any).

    The audit entry records the REQUEST (QA: it said before open, after frozen, while the account stayed
    open until a supervisor approves): before is the account's status now, after the status asked for and
    the request's id; the change itself is audited as ``account.status`` when it is approved."""
    if not alert.account:
        raise ValidationError(f"alert #{alert.id} names no account to freeze", alert_id=alert.id)
    request_id, status = None, None
    approvals = getattr(ledger, "four_eyes", None)
    if approvals is not None:
        from core.approvals import InvalidApproval

        try:
            request_id = approvals.request_on(conn, actor, "freeze", alert.account, (note or "")[:200]).id
        except InvalidApproval:  # already frozen (or closed): nothing to ask for
            request_id = None
    try:
        status = queries.account_view(conn, alert.account, now).status
    except AccountNotFound:
        status = None
    ledger.record(conn, actor, "account.freeze_requested", alert.account, {"status": status},
                  {"status": status, "requested_status": "frozen", "request": request_id, "alert": alert.id,
                   "note": note})
    timeline.add(conn, actor.username, "freeze_requested", now, alert_id=alert.id, case_id=alert.case_id,
                 account=alert.account, note=note)
    return request_id
