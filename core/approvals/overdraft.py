"""Overdraft limits are credit decisions (QA #20): a person sets one alone only up to their role's
overdraft limit (``Policy.overdraft_limit``); above it the account opens (or keeps its limit) with what
they may set, and a request of kind ``overdraft`` waits for a supervisor other than the maker, whose
approval sets the asked limit. Lowering a limit never asks. The system operator is not checked."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from core.approvals import store
from core.approvals.errors import InvalidApproval
from core.approvals.policy import Need
from core.ledger import accounts as account_ops
from core.ledger import money, queries
from core.ledger.views import AccountView
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.approvals.service import Approvals


def describe(need: Need, actor: Actor, currency: str) -> str:
    return (f"an overdraft above the {actor.role} limit of {money.format_minor(need.limit or 0, currency)} is a credit "
            "decision for a supervisor")


def request_on(approvals: Approvals, conn: Connection, actor: Actor, account: AccountView, amount: int, need: Need,
               note: str = "") -> int:
    """Record a request to set ``account``'s overdraft limit to ``amount`` (same transaction); an identical
    request already waiting is returned instead of a second one."""
    now = approvals.ledger.clock()
    same = conn.execute(store.query("waiting", None, now, account.number)
                        .where(store.R.c.kind == "overdraft", store.R.c.amount == amount)).first()
    if same is not None:
        return int(same.id)
    c = account.currency
    summary = (f"overdraft limit of {money.format_minor(amount, c)} on account {account.number} ({account.name}), above "
               f"the {actor.role} limit of {money.format_minor(need.limit or 0, c)}")
    request_id = store.insert_request(
        conn, now, kind="overdraft", account=account.number, amount=amount, currency=c, limit_amount=need.limit,
        summary=summary[:300], note=(note or "")[:200], maker=actor.username, maker_role=str(actor.role),
        maker_device=actor.device, expires_at=approvals.expires(now))
    approvals.ledger.record(conn, actor, "approval.request", f"approval:{request_id}", None,
                            {"kind": "overdraft", "account": account.number,
                             "overdraft_now": money.plain(account.overdraft_limit or 0, c),
                             "requested_overdraft": money.plain(amount, c),
                             "currency": c, "limit": money.plain(need.limit or 0, c)})
    return request_id


def open_account(approvals: Approvals, conn: Connection, actor: Actor, customer_id: int, currency: str,
                 overdraft: int, note: str = "") -> AccountView:
    """Open a deposit account; an overdraft above ``actor``'s limit opens at that limit (or none) and asks."""
    currency = money.currency(currency)
    _check_amount(overdraft)
    need = approvals.policy.overdraft_need(actor, currency, overdraft)
    acc = account_ops.open_account(approvals.ledger, conn, actor, customer_id, currency, 0 if need else overdraft,
                                   "deposit")
    if need is None:
        return acc
    request_id = request_on(approvals, conn, actor, acc, overdraft, need, note)
    return replace(acc, overdraft_request=request_id, overdraft_asked=overdraft)


def set_limit(approvals: Approvals, conn: Connection, actor: Actor, number: str, amount: int,
              note: str = "") -> AccountView:
    """Set ``number``'s overdraft limit, or ask for it when it is above ``actor``'s own limit."""
    _check_amount(amount)
    acc = queries.account_view(conn, number, approvals.ledger.clock())
    if acc.overdraft_limit is None:
        raise InvalidApproval(f"account {number} is a bank GL account; it has no overdraft limit", field="account")
    need = approvals.policy.overdraft_need(actor, acc.currency, amount, acc.overdraft_limit)
    if need is None:
        return account_ops.set_overdraft(approvals.ledger, conn, actor, number, amount)
    if acc.status == "closed":
        raise InvalidApproval(f"account {number} is closed; closed accounts do not change", field="account")
    request_id = request_on(approvals, conn, actor, acc, amount, need, note)
    return replace(acc, overdraft_request=request_id, overdraft_asked=amount)


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidApproval(f"the overdraft limit must be zero or a positive amount, got {amount!r}",
                              field="overdraft")
