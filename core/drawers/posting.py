"""The drawer's own GL postings (float, vault transfers, over/short, cash back to the vault), written in
the caller's transaction with the ledger's rules, audit trail and events.

These are the cash operation's "owning" movements of the bank's GL accounts: only core.drawers posts to
drawer, vault and over/short accounts this way, after its own checks (session state, counts, notes).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from core.ledger import events, store
from core.ledger.posting import Posting, normalize
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor


# The operation that owns the drawer, vault and over/short accounts (and cash at the desk): the ledger's
# desk controls (core.ledger.desk_controls.OWNERS["cash"]) let it move money on them for a teller.
OPERATION = "cash"


def post_gl(ledger: Ledger, conn: Connection, actor: Actor, reqs: Sequence[TransferRequest]) -> list[TransferResult]:
    """Post ``reqs`` all or nothing inside ``conn``'s transaction (ids are idempotency keys)."""
    reqs = [normalize(r, actor) for r in reqs]
    if not reqs:
        return []
    accounts = sorted({n for r in reqs for n in (r.debit, r.credit)})
    now = ledger.clock()
    locked, existing = store.lock_and_fetch(conn, accounts, [r.id for r in reqs], now=now)
    posting = Posting(actor, now, {a.number: a for a in locked}, existing,
                      link_id=reqs[0].id if len(reqs) > 1 else None, operation=OPERATION)
    results = [posting.apply(r) for r in reqs]
    store.write_posting(conn, posting.transfers, posting.entries, posting.touched.values())
    fresh = [r for r in results if not r.replayed]
    for r in fresh:
        ledger.record(conn, actor, "transfer.post", r.id, None, r.to_dict())
    if fresh:
        events.created(conn, actor.username, fresh)
    return results


def cash_held(conn: Connection, number: str) -> int:
    """Cash the ledger says a drawer (or vault) account holds: its debits minus credits, posted and
    pending credits (cash promised out, e.g. a withdrawal waiting for approval) counted as gone. Locks
    the account."""
    acc = store.lock_accounts(conn, numbers=[number])[0]
    return acc.debits_posted - acc.credits_posted - acc.credits_pending


def pending_on(conn: Connection, number: str) -> int:
    """Pending debits and credits on the account (transfers waiting for a decision)."""
    acc = store.lock_accounts(conn, numbers=[number])[0]
    return acc.debits_pending + acc.credits_pending


def gl_request(tid: str, debit: str, credit: str, amount: int, code: str, kind: str, description: str) -> TransferRequest:
    return TransferRequest(id=tid, debit=debit, credit=credit, amount=amount, currency=code, code=kind,
                           description=description, channel="desk")
