"""Account holds: an amount blocked on a customer's account with a reason code, who placed it and an
expiry at which it releases itself.

The block is a pending ledger transfer from the account to the currency's suspense GL account whose
timeout is the hold's expiry, so the ledger's own rules apply unchanged: the available balance drops by
the amount (the current balance does not), the hold cannot exceed what is available, it expires by
itself (``qenex transfer expire`` and the console's expiry job release it), and releasing it is a void
of that pending transfer, exactly once. ``account_holds`` adds the reason, note and people.
Placing needs ``hold.place`` (tellers, supervisors); releasing needs ``hold.release`` (supervisors).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from core.errors import QenexError, ValidationError
from core.ledger import accounts as account_ops
from core.ledger import numbers, queries, store
from core.ledger.errors import AccountNotFound, PendingAlreadyResolved, PendingExpired
from core.ledger.money import figure, format_minor
from core.ledger.posting import Posting, normalize
from core.ledger.views import TransferRequest
from core.persistence.models import AccountHold
from core.security.roles import Actor
from core.teller.events import publish

if TYPE_CHECKING:
    from core.ledger.service import Ledger

H, T, A = AccountHold.__table__, store.T, store.A

REASONS = {
    "legal": "Court order or garnishment",
    "fraud": "Suspected fraud",
    "cheque": "Uncleared cheque deposit",
    "compliance": "Compliance review (KYC/AML)",
    "customer": "At the customer's request",
    "other": "Other (note required)",
}
MAX_HOLD_DAYS = 366


class HoldNotFound(QenexError):
    code = "hold_not_found"


class HoldNotActive(QenexError):
    code = "hold_not_active"


class InvalidHold(ValidationError):
    """A field of a new hold is wrong; ``field`` names it (amount, reason, note, expires_at, account)."""

    code = "invalid_hold"

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(message, field=field_)
        self.field = field_


@dataclass(frozen=True)
class HoldView:
    id: int
    transfer_id: str
    account: str
    amount: int  # minor units
    currency: str
    reason: str
    note: str
    placed_by: str
    placed_at: datetime
    expires_at: datetime
    state: str  # active | released | expired | posted
    released_by: str | None
    released_at: datetime | None
    release_request: int | None = None  # a waiting request to release it early (core.approvals), if any

    @property
    def reason_text(self) -> str:
        return REASONS.get(self.reason, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "transfer_id": self.transfer_id, "account": self.account,
                **figure(self.amount, self.currency), "reason": self.reason,
                "reason_text": self.reason_text, "note": self.note, "placed_by": self.placed_by,
                "placed_at": self.placed_at.isoformat(), "expires_at": self.expires_at.isoformat(),
                "state": self.state, "released_by": self.released_by,
                "released_at": self.released_at.isoformat() if self.released_at else None,
                "release_request": self.release_request}


def check(amount: int, reason: str, note: str, expires_at: datetime, now: datetime) -> tuple[str, str]:
    """(reason, note) normalised, or InvalidHold naming the field."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidHold("amount", "a hold needs a positive amount")
    reason = (reason or "").strip().lower()
    if reason not in REASONS:
        raise InvalidHold("reason", f"choose a reason code: {', '.join(REASONS)}")
    note = " ".join((note or "").split())
    if len(note) > 200:
        raise InvalidHold("note", "a note has at most 200 characters")
    if reason == "other" and not note:
        raise InvalidHold("note", "reason 'other' needs a note saying why")
    if expires_at.tzinfo is None:
        raise InvalidHold("expires_at", "the expiry must be timezone-aware")
    if expires_at <= now:
        raise InvalidHold("expires_at", "the expiry is in the past; choose a later date")
    if expires_at - now > timedelta(days=MAX_HOLD_DAYS):
        raise InvalidHold("expires_at", f"a hold lasts at most {MAX_HOLD_DAYS} days; place a new one when it ends")
    return reason, note


def place(ledger: Ledger, conn: Connection, actor: Actor, hold_id: str, account: str, amount: int, reason: str,
          expires_at: datetime, note: str) -> HoldView:
    """Place a hold in the caller's transaction; the same ``hold_id`` again returns the first hold."""
    now = ledger.clock()
    reason, note = check(amount, reason, note, expires_at, now)
    number = numbers.validate(account)
    existing = conn.execute(select(H.c.id).where(H.c.transfer_id == hold_id)).first()
    if existing is not None:
        return get(conn, existing.id, now)
    acc = queries.account_view(conn, number, now)
    if acc.customer_id is None:
        raise InvalidHold("account", f"account {number} is one of the bank's own accounts; holds go on customer accounts")
    suspense = account_ops.ensure_gl_accounts(ledger, conn, actor, acc.currency)["suspense"].number
    req = normalize(TransferRequest(
        id=hold_id, debit=number, credit=suspense, amount=amount, currency=acc.currency, pending=True,
        timeout_seconds=max(1, int((expires_at - now).total_seconds())), code="hold",
        description=f"hold: {REASONS[reason]}" + (f" ({note})" if note else ""), channel="desk",
        device=actor.device), actor)
    locked, seen = store.lock_and_fetch(conn, sorted((number, suspense)), [hold_id], now=now)
    posting = Posting(actor, now, {a.number: a for a in locked}, seen, operation="hold")
    posting.apply(req)
    store.write_posting(conn, posting.transfers, posting.entries, posting.touched.values())
    hold_pk = conn.execute(insert(H).values(
        transfer_id=hold_id, account_id=acc.id, amount=amount, currency=acc.currency, reason=reason, note=note,
        placed_by=actor.username, placed_at=now, expires_at=posting.transfers[0]["expires_at"]).returning(H.c.id)).scalar_one()
    after = {"hold": hold_pk, **figure(amount, acc.currency), "reason": reason,
             "note": note, "expires_at": expires_at.isoformat(), "transfer": hold_id}
    ledger.record(conn, actor, "hold.place", number, None, after)
    publish(conn, "hold.placed", {"account": number, **after})
    return get(conn, hold_pk, now)


def release(ledger: Ledger, actor: Actor, hold_pk: int, note: str = "") -> HoldView:
    """Void the hold's pending transfer (exactly once), then record who released it and why."""
    with ledger.engine.connect() as conn:
        hold = get(conn, hold_pk, ledger.clock())
    if hold.state != "active":
        raise HoldNotActive(f"hold {hold_pk} on {hold.account} is already {hold.state}; nothing to release",
                            hold=hold_pk)
    from core import reasons

    note = reasons.check(note, "the reason for releasing the hold", field="note", max_chars=200)
    from core.ledger import pending as pending_ops

    try:
        pending_ops.resolve(ledger, actor, hold.transfer_id, post=False, amount=None, id=None)
    except PendingExpired:
        raise HoldNotActive(f"hold {hold_pk} expired at {hold.expires_at:%Y-%m-%d %H:%M} UTC; its funds were "
                            "already released", hold=hold_pk) from None
    except PendingAlreadyResolved:
        raise HoldNotActive(f"hold {hold_pk} was already resolved by someone else; refresh", hold=hold_pk) from None

    def work(conn: Connection) -> HoldView:
        now = ledger.clock()
        conn.execute(update(H).where(H.c.id == hold_pk, H.c.released_at.is_(None))
                     .values(released_by=actor.username, released_at=now, release_note=note))
        after = {"hold": hold_pk, **figure(hold.amount, hold.currency),
                 "note": note}
        ledger.record(conn, actor, "hold.release", hold.account, {"state": "active"}, {"state": "released", **after})
        publish(conn, "hold.released", {"account": hold.account, **after})
        return get(conn, hold_pk, now)

    return ledger.run(work)


_VOID = T.alias("void")


def _query():  # noqa: ANN202
    return (select(H, A.c.number, T.c.state.label("transfer_state"), _VOID.c.created_by.label("void_by"),
                   _VOID.c.created_at.label("void_at"))
            .select_from(H.join(A, A.c.id == H.c.account_id).outerjoin(T, T.c.id == H.c.transfer_id)
                         .outerjoin(_VOID, (_VOID.c.pending_id == H.c.transfer_id) & (_VOID.c.kind == "void_pending"))))


def _view(row: Any, now: datetime) -> HoldView:
    m = row._mapping
    state = {"pending": "active", "voided": "released", "expired": "expired", "posted": "posted"}.get(
        m["transfer_state"], "released")
    if state == "active" and m["expires_at"] <= now:
        state = "expired"
    released_by = m["released_by"] or (m["void_by"] if state == "released" else None)
    released_at = m["released_at"] or (m["void_at"] if state == "released" else None)
    return HoldView(m["id"], m["transfer_id"], m["number"], m["amount"], m["currency"], m["reason"], m["note"],
                    m["placed_by"], m["placed_at"], m["expires_at"], state, released_by, released_at)


def get(conn: Connection, hold_pk: int, now: datetime) -> HoldView:
    if isinstance(hold_pk, bool) or not isinstance(hold_pk, int) or not 0 < hold_pk < 2**63:
        raise HoldNotFound(f"no hold {hold_pk}: hold numbers are positive whole numbers (see qenex hold list)",
                           hold=hold_pk)
    row = conn.execute(_query().where(H.c.id == hold_pk)).first()
    if row is None:
        raise HoldNotFound(f"no hold {hold_pk}", hold=hold_pk)
    return _view(row, now)


def list_holds(conn: Connection, account_ids: list[int], now: datetime, *, include_ended: bool = False,
               limit: int = 200) -> list[HoldView]:
    """Holds on these accounts, newest first; only active ones unless ``include_ended``."""
    if not account_ids:
        return []
    query = _query().where(H.c.account_id.in_(account_ids)).order_by(H.c.id.desc()).limit(limit)
    if not include_ended:
        query = query.where(T.c.state == "pending")
    views = [v for v in (_view(r, now) for r in conn.execute(query)) if include_ended or v.state == "active"]
    return _with_release_requests(conn, views, now)


def _with_release_requests(conn: Connection, views: list[HoldView], now: datetime) -> list[HoldView]:
    """Each active hold with the number of a waiting request to release it, so the desk shows it is asked."""
    from dataclasses import replace

    from core.persistence.models import ApprovalRequest

    active = [v.id for v in views if v.state == "active"]
    if not active:
        return views
    R = ApprovalRequest.__table__
    asked = dict(conn.execute(select(R.c.hold_id, R.c.id).where(
        R.c.kind == "hold_release", R.c.state == "pending", R.c.expires_at > now, R.c.hold_id.in_(active))).all())
    return [replace(v, release_request=asked[v.id]) if v.id in asked else v for v in views]


def account_id(conn: Connection, number: str) -> int:
    number = numbers.validate(number)
    row = conn.execute(select(A.c.id).where(A.c.number == number)).first()
    if row is None:
        raise AccountNotFound(f"no account {number}", account=number)
    return row.id


def describe(hold: HoldView) -> str:
    """One line for people: "$50.00 on 1000000018 (Suspected fraud) until 2026-02-01"."""
    return (f"{format_minor(hold.amount, hold.currency)} on {hold.account} ({hold.reason_text}) until "
            f"{hold.expires_at.astimezone():%Y-%m-%d %H:%M}")

