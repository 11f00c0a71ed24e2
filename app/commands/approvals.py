"""``qenex approvals``: four eyes from the command line (list, show, approve, reject, withdraw, request, expire, limits).

Deciding needs ``--as USER`` (a supervisor other than the request's maker): the system operator is not
a second person. Several ids approve or reject each on its own, with a line (or JSON item) per id and
exit 1 if any was refused. Times print in the operator's time zone; ``--json`` prints UTC ISO 8601.
"""
from __future__ import annotations

import argparse
from typing import Any

from core.words import counted
from app.commands.alerts import actor_for
from app.commands.args import ID, LIMIT, clip
from app.zone import local
from core.approvals.states import LIST_STATES  # light: --help loads no database layer
from core.errors import QenexError, ValidationError


READ = "act as this user (optional: without it the system operator reads and expires, but never decides)"


def _common(p: argparse.ArgumentParser, who: str = READ) -> argparse.ArgumentParser:
    """``--as``: required where ``who`` says so (a decision is human-only: core.security.roles.HUMAN_ONLY)."""
    p.add_argument("--as", dest="as_user", metavar="USER", help=who, required=who.startswith("the "))
    p.add_argument("--json", action="store_true", help="machine-readable output (UTC times)")
    return p


def register(sub: argparse._SubParsersAction) -> None:
    ap = sub.add_parser("approvals", help="four eyes: requests waiting for a second person").add_subparsers(
        dest="approvals_command", required=True)
    p = _common(ap.add_parser("list", help="the approvals inbox (waiting requests, oldest first)"))
    p.add_argument("--state", default="waiting",
                   choices=LIST_STATES)
    p.add_argument("--account", help="only requests about this account")
    p.add_argument("--limit", type=LIMIT, default=100)
    p.set_defaults(handler=_list)
    p = _common(ap.add_parser("show", help="one request with the account's balances, recent activity and fraud score"))
    p.add_argument("id", type=ID)
    p.set_defaults(handler=_show)
    p = _common(ap.add_parser("approve", help="approve requests: the held transfer posts, the account is frozen..."),
                "the approving supervisor (required: never the system operator, never the request's maker)")
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_approve)
    p = _common(ap.add_parser("reject", help="reject requests with a reason: held funds are released"),
                "the rejecting supervisor (required: never the system operator, never the request's maker)")
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=_reject)
    p = _common(ap.add_parser("withdraw", help="take back your own waiting requests (held funds are released)"),
                "the request's maker (required)")
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_withdraw)
    p = _common(ap.add_parser("request", help="ask for an account freeze or closure, or a hold release"))
    p.add_argument("action", choices=["freeze", "close", "release-hold"])
    p.add_argument("target", help="the account number (freeze, close) or the hold number (release-hold)")
    p.add_argument("--note", default="", help="why (needed to release a hold: at least 10 characters and 2 words)")
    p.set_defaults(handler=_request)
    p = _common(ap.add_parser("expire", help="close requests whose time passed (their held funds are released)"))
    p.set_defaults(handler=_expire)
    p = _common(ap.add_parser("limits", help="each role's limit per currency (or --set one, as admin or system)"))
    p.add_argument("--set", nargs=3, metavar=("ROLE", "CURRENCY", "AMOUNT"), help="e.g. --set teller USD 10000")
    p.add_argument("--currency", action="append", default=[], help="also show the default in this currency")
    p.set_defaults(handler=_limits)


def _svc(ctx):  # noqa: ANN001, ANN202
    return ctx.services.approvals


def line(r: Any) -> str:
    who = f"{r.maker} → {r.checker}" if r.checker else r.maker
    return (f"#{r.id:<6} {r.state_word:9} {clip(r.kind_text, 22)} {(r.account or '-'):12} {r.amount_text or '-':>14}  "
            f"{clip(who, 24)} {local(r.created_at)[:16]}  {clip(r.summary, 70).rstrip()}")


def _list(args, ctx) -> int:  # noqa: ANN001
    actor = actor_for(ctx, args.as_user)
    rows = _svc(ctx).list(actor, args.state, 0, args.limit, args.account)
    total = _svc(ctx).count(actor, args.state) if args.account is None else len(rows)
    more = f" (first {len(rows)} of {total}; --limit shows more)" if total > len(rows) else ""
    text = "\n".join([line(r) for r in rows] + [f"{counted(len(rows), 'request')} {args.state}{more}"])
    ctx.emit({"requests": [r.to_dict() for r in rows], "total": total}, as_json=args.json, text=text)
    return 0


def _show(args, ctx) -> int:  # noqa: ANN001
    from core.ledger.money import format_minor

    d = _svc(ctx).detail(actor_for(ctx, args.as_user), args.id)
    r = d.request
    lines = [line(r), f"  expires {local(r.expires_at)}" + (f"; maker's note: {r.note}" if r.note else "")]
    if r.decision_note or r.result:
        lines.append(f"  decision: {r.decision_note or '-'}; result: {r.result or '-'}")
    if r.score is not None:
        lines.append(f"  fraud score {r.score:.2f} ({d.decision or 'not screened'})" +
                     (f": {'; '.join(d.reasons[:3])}" if d.reasons else ""))
    if d.open_alert is not None:
        lines.append(f"  held for fraud review: alert #{d.open_alert} is open; approving keeps the money held until an "
                     "analyst decides it")
    if d.account is not None:
        a = d.account
        lines.append(f"  account {a.number} {a.name} ({a.status}): {format_minor(a.current, a.currency)} current, "
                     f"{format_minor(a.available, a.currency)} available")
        lines += [f"    {local(ln.at)[:16]} {format_minor(ln.amount, a.currency):>14}  {clip(ln.description, 50).rstrip()}"
                  for ln in d.activity]
    ctx.emit(d.to_dict(), as_json=args.json, text="\n".join(lines))
    return 0


def _decide(args, ctx, verb: str) -> int:  # noqa: ANN001
    actor = actor_for(ctx, args.as_user)
    svc = _svc(ctx)
    ids = list(dict.fromkeys(args.ids))
    one = {"approve": lambda i: svc.approve(actor, i, args.note), "reject": lambda i: svc.reject(actor, i, args.reason),
           "withdraw": lambda i: svc.withdraw(actor, i, args.note)}[verb]
    if len(ids) == 1:
        r = one(ids[0])
        ctx.emit(r.to_dict(), as_json=args.json, text=f"request #{r.id}: {r.state_word} ({r.result})")
        return 0
    many = {"approve": lambda: svc.approve_many(actor, ids, args.note),
            "reject": lambda: svc.reject_many(actor, ids, args.reason),
            "withdraw": lambda: svc.withdraw_many(actor, ids, args.note)}[verb]
    results = many()
    items = [{"id": i, "ok": True, **r.to_dict()} if not isinstance(r, QenexError) else {"id": i, "ok": False, **r.to_dict()}
             for i, r in zip(ids, results)]
    lines = [f"request #{i}: {r.state_word} ({r.result})" if not isinstance(r, QenexError)
             else f"request #{i}: refused: {r.code}: {r.message}" for i, r in zip(ids, results)]
    failed = sum(1 for r in results if isinstance(r, QenexError))
    done = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}[verb]
    lines.append(f"{len(results) - failed} {done}, {failed} refused")
    ctx.emit({"results": items, done: len(results) - failed, "refused": failed}, as_json=args.json,
             text="\n".join(lines))
    return 1 if failed else 0


def _withdraw(args, ctx) -> int:  # noqa: ANN001
    return _decide(args, ctx, "withdraw")


def _approve(args, ctx) -> int:  # noqa: ANN001
    return _decide(args, ctx, "approve")


def _reject(args, ctx) -> int:  # noqa: ANN001
    return _decide(args, ctx, "reject")


def _request(args, ctx) -> int:  # noqa: ANN001
    actor, svc = actor_for(ctx, args.as_user), _svc(ctx)
    if args.action == "release-hold":
        digits = args.target.strip()
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            raise ValidationError(f"release-hold takes a hold number (see qenex hold list), got {args.target[:24]!r}")
        r = svc.request_hold_release(actor, int(digits), args.note)
    else:
        r = svc.request_status(actor, args.target, "frozen" if args.action == "freeze" else "closed", args.note)
    ctx.emit(r.to_dict(), as_json=args.json, text=f"request #{r.id}: waiting for approval ({r.summary})")
    return 0


def _expire(args, ctx) -> int:  # noqa: ANN001
    n = _svc(ctx).expire(actor_for(ctx, args.as_user))
    ctx.emit({"expired": n}, as_json=args.json, text=f"{counted(n, 'request')} expired")
    return 0


def _limits(args, ctx) -> int:  # noqa: ANN001
    from core.ledger import money

    actor, svc = actor_for(ctx, args.as_user), _svc(ctx)
    if args.set:
        role, currency, amount = args.set
        code = money.currency(currency)
        row = svc.set_limit(actor, role, code, money.to_minor(amount, code, allow_zero=True))
        ctx.emit(row, as_json=args.json, text=f"{row['role']} limit in {row['currency']}: {row['limit']}")
        return 0
    rows = svc.limits(actor, args.currency)
    text = "\n".join(f"{r['role']:11} {r['currency']} {r['limit']:>18}  {r['source']}" for r in rows)
    ctx.emit({"limits": rows}, as_json=args.json, text=text)
    return 0
