"""Approval authority (QA4 #1): a checker approves a request only up to their own role's limit for its kind.

| kind | the checker's limit that bounds it |
| --- | --- |
| transfer, gl, correction, hold_release | their four-eyes (transfer) limit in its currency: ``approval_limits`` rows, ``QENEX_APPROVAL_LIMITS`` |
| overdraft | their overdraft limit in its currency: ``QENEX_OVERDRAFT_LIMITS`` |
| freeze, close | no amount: any checker |

Above it the refusal names who may approve it (a role whose limit covers it) or, when no role's limit does,
what to do (an administrator raises the limit, or the request is rejected). Checked before the deciding
transaction (the refusal is audited) and again inside it, on every path that approves (console, ``qenex
approvals approve``, bulk approve), since they all call ``Approvals.approve``.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

from core.approvals.errors import AboveApprovalLimit, AboveEveryApprovalLimit
from core.ledger import money
from core.security.roles import ROLE_PERMISSIONS, Actor, Permission, Role

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from core.approvals.policy import Policy
    from core.approvals.store import ApprovalView

TRANSFER_LIMITED = ("transfer", "gl", "correction", "hold_release")
CHECKER_ROLES = tuple(r for r in Role if r is not Role.SYSTEM and Permission.APPROVAL_DECIDE in ROLE_PERMISSIONS[r])


def role_limit(policy: Policy, conn: Connection | Engine, role: str, req: ApprovalView) -> int | None:
    """``role``'s limit for ``req``'s kind in its currency (minor units), or None: the kind has no amount limit."""
    if req.amount is None or req.currency is None:
        return None
    if req.kind == "overdraft":
        return policy.overdraft_limit(role, req.currency)
    if req.kind in TRANSFER_LIMITED:
        return policy.limit(conn, role, req.currency)
    return None


def check(policy: Policy, conn: Connection | Engine, checker: Actor, req: ApprovalView) -> None:
    """AboveApprovalLimit when ``req`` is above ``checker``'s own role limit for its kind."""
    limit = role_limit(policy, conn, str(checker.role), req)
    if limit is None or req.amount is None or req.amount <= limit:
        return
    c = str(req.currency)
    what = "overdraft limits" if req.kind == "overdraft" else "four-eyes approvals"
    amount, own = money.format_minor(req.amount, c), money.format_minor(limit, c)
    covered = [str(r) for r in CHECKER_ROLES if (role_limit(policy, conn, str(r), req) or 0) >= req.amount]
    if covered:
        who = f"a {' or '.join(covered)} whose limit covers it must approve it"
    elif req.kind == "overdraft":
        who = (f"no role's overdraft limit covers it: the bank's operator raises the {checker.role} overdraft limit "
               f"(QENEX_OVERDRAFT_LIMITS, e.g. {checker.role}={money.plain(req.amount, c)}) first, or reject it with "
               "a reason so the maker can ask for less")
    else:
        who = (f"no role's limit covers it: an administrator raises the {checker.role} limit first (qenex approvals "
               f"limits --set {checker.role} {c} {money.plain(req.amount, c)}), or reject it with a reason so the maker "
               "can ask for less")
    raise AboveApprovalLimit(
        f"request #{req.id} is for {amount}, above your {checker.role} limit of {own} for {what}; {who}; "
        "nothing was changed", id=req.id, limit=money.plain(limit, c), amount=money.plain(req.amount, c),
        currency=c, permission=Permission.APPROVAL_DECIDE.value)


def refuse_uncovered(policy: Policy, conn: Connection | Engine, kind: str, amount: int | None,
                     currency: str | None) -> None:
    """At request time (the maker's side of ``check``): AboveEveryApprovalLimit when no checker role's limit
    covers ``amount`` of ``kind``, so no request is created that nobody could approve."""
    req = SimpleNamespace(kind=kind, amount=amount, currency=currency)
    limits = {str(r): role_limit(policy, conn, str(r), req) for r in CHECKER_ROLES}  # type: ignore[arg-type]
    if amount is None or currency is None or any(v is None or v >= amount for v in limits.values()):
        return
    c = str(currency)
    top = max(limits, key=lambda r: limits[r] or 0)
    highest = money.format_minor(limits[top] or 0, c)
    if kind == "overdraft":
        fix = (f"the bank's operator raises the {top} overdraft limit first (QENEX_OVERDRAFT_LIMITS, e.g. "
               f"{top}={money.plain(amount, c)})")
    else:
        fix = (f"an administrator raises the {top} limit first (qenex approvals limits --set {top} {c} "
               f"{money.plain(amount, c)})")
    raise AboveEveryApprovalLimit(
        f"{money.format_minor(amount, c)} is above every approver's limit (the highest: {top}, {highest}), so nobody "
        f"could approve this request; ask for {highest} or less, or {fix}; nothing was created",
        field="amount", kind=kind, amount=money.plain(amount, c), highest=money.plain(limits[top] or 0, c),
        currency=c)
