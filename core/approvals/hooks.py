"""What the ledger asks of four eyes when a pending transfer is resolved outside the approvals inbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from core.approvals import store
from core.approvals.errors import ApprovalRequired
from core.security.roles import Actor


def refuse_if_waiting(conn: Connection, transfer_id: str) -> None:
    """ApprovalRequired if ``transfer_id`` holds the funds of a request that waits for a second person."""
    row = store.pending_for_transfer(conn, transfer_id)
    if row is not None:
        raise ApprovalRequired(f"transfer {transfer_id} waits for approval (request #{row.id}); a supervisor other "
                               "than its maker approves it in the approvals inbox (qenex approvals approve "
                               f"{row.id} --as USER); nothing was posted", id=transfer_id, request=row.id)


def transfer_resolved(ledger: Any, conn: Connection, actor: Actor, transfer_id: str, state: str, now: datetime) -> None:
    """Close the pending request whose held transfer was voided or expired elsewhere: voided by its maker, the
    request is ``withdrawn``; voided by anyone else (a fraud decision, a supervisor), it is ``rejected``."""
    row = store.pending_for_transfer(conn, transfer_id)
    if row is None:
        return
    req = store.view(row, now)
    if state == "expired":
        new_state, action, result = "expired", "expire", "held funds released at expiry"
    elif actor.username == req.maker:
        new_state, action, result = "withdrawn", "withdraw", "the held transfer was voided by its maker"
    else:
        new_state, action, result = "rejected", "reject", f"the held transfer was voided by {actor.username}"
    if store.decide(conn, req, new_state, None if state == "expired" else actor.username, now, None, result):
        ledger.record(conn, actor, f"approval.{action}", f"approval:{req.id}", {"state": "pending"},
                      {"state": new_state, "kind": req.kind, "maker": req.maker, "result": result})
