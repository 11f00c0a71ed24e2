"""Overdraft limits are credit decisions (QA #20): a person sets one alone only up to their role's
overdraft limit (``Policy.overdraft_limit``); above it the account opens (or keeps its limit) with what
they may set, and a request of kind ``overdraft`` waits for a supervisor other than the maker, whose
approval sets the asked limit. Lowering a limit never asks. The system operator is not checked."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from core.approvals import authority, store
from core.approvals.errors import InvalidApproval
from core.approvals.policy import Need
from core.ledger import accounts as account_ops
from core.ledger import money, queries
from core.ledger.views import AccountView
from core.security.roles import Actor

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

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
    if need is not None:  # before the account opens: nothing is created
        authority.refuse_uncovered(approvals.policy, conn, "overdraft", overdraft, currency)
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
    authority.refuse_uncovered(approvals.policy, conn, "overdraft", amount, acc.currency)
    request_id = request_on(approvals, conn, actor, acc, amount, need, note)
    return replace(acc, overdraft_request=request_id, overdraft_asked=amount)


def waiting(acc: AccountView, show: "Callable[[int, str], str]" = money.format_minor) -> str:
    """What an account's waiting overdraft request means, in words for staff ("" when none waits):
    "€3,000.00 requested, waiting for approval (request #12); until then the limit stays €500.00" (or "the
    account has no overdraft"). One wording for the console and the command line (QA: the CLI printed the
    limit kept and "the account has no overdraft" in one line). ``show`` formats an amount."""
    if acc.overdraft_request is None or acc.overdraft_asked is None:
        return ""
    c, now = acc.currency, acc.overdraft_limit or 0
    until = f"the limit stays {show(now, c)}" if now else "the account has no overdraft"
    return (f"{show(acc.overdraft_asked, c)} requested, waiting for approval (request #{acc.overdraft_request}); "
            f"until then {until}")


def waiting_request(conn: Connection, acc: AccountView, now: "datetime") -> AccountView:
    """``acc`` with the overdraft request still waiting on it (if any), for views that read an account."""
    if acc.overdraft_limit is None or acc.overdraft_request is not None:
        return acc
    R = store.R  # noqa: N806
    row = conn.execute(select(R.c.id, R.c.amount).where(R.c.account == acc.number, R.c.kind == "overdraft",
                                                        R.c.state == "pending", R.c.expires_at > now)
                       .order_by(R.c.id.desc()).limit(1)).first()
    return acc if row is None else replace(acc, overdraft_request=row.id, overdraft_asked=row.amount)


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidApproval(f"the overdraft limit must be zero or a positive amount, got {amount!r}",
                              field="overdraft")
