"""Asking for a four-eyes action a person may not do alone: freezing or closing an account and releasing a hold
before its expiry (a transfer or an overdraft above the maker's limit asks through the ledger:
``Approvals.opened``, ``core.approvals.overdraft``). Mixed into ``core.approvals.service.Approvals``, whose
ledger and ``expires`` it uses.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core import reasons
from core.approvals import authority, store
from core.approvals.errors import InvalidApproval
from core.approvals.store import ApprovalView
from core.ledger import money, numbers, queries
from core.ledger.errors import AccountNotEmpty
from core.security.roles import Actor, Permission
from core.teller import holds

R = store.R
MAX_NOTE = 200


def check_note(note: str | None, what: str, required: bool = False) -> str:
    text = " ".join((note or "").split())
    if len(text) > MAX_NOTE:
        raise InvalidApproval(f"{what} has at most {MAX_NOTE} characters, got {len(text)}", field="note")
    if required and not text:
        raise InvalidApproval(f"{what} is needed: say why, so the maker knows what to do", field="note")
    if any(not ch.isprintable() for ch in text):
        raise InvalidApproval(f"{what} holds control characters; type plain text", field="note")
    return text


class Asking:
    """``Approvals``' requests (see the module doc)."""

    ledger: Any
    policy: Any
    expires: Any  # Approvals.expires

    def _may_request(self, actor: Actor, permission: Permission, target: str) -> None:
        if not (actor.can(Permission.APPROVAL_REQUEST) or actor.can(permission)):
            self.ledger.authorize(actor, Permission.APPROVAL_REQUEST, target)

    def request_status(self, actor: Actor, account: str, status: str, note: str = "") -> ApprovalView:
        """Ask for ``account`` to be frozen or closed (``status``: frozen | closed)."""
        if status not in ("frozen", "closed"):
            raise InvalidApproval(f"ask for 'frozen' or 'closed', got {status!r}", field="status")
        number = numbers.validate(account)
        self._may_request(actor, Permission.ACCOUNT_STATUS, number)
        note = check_note(note, "the note")
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
            authority.refuse_uncovered(self.policy, conn, "hold_release", hold.amount, hold.currency)
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
