"""Cash drawer commands: ``qenex drawer open|close|status|vault|report|ctr``.

The command line acts as the system operator: a drawer opened here is the operator's session; any
session can be counted and closed here. A difference above the limit needs a supervisor's sign-off:
``--supervisor NAME --note TEXT`` and the supervisor's own password (``QENEX_SUPERVISOR_PASSWORD`` or a no-echo
prompt) and, once they enrolled, a one-time code (``QENEX_SUPERVISOR_TOTP_CODE`` or a prompt).
Counts are ``DENOMINATIONxPIECES`` items, e.g. ``--count 100x10 --count 0.25x40``.
"""
from __future__ import annotations

import argparse
from datetime import datetime, time

from app.commands.args import ID, LIMIT, file_path
from app.commands.ledger import _money_actor, _mover
from app.commands.teller import _cmd, _day
from app.lazy import lazy
from core.drawers.errors import DrawerState, SupervisorNoteRequired
from core.errors import ValidationError
from core.security.roles import SYSTEM_ACTOR

dn = lazy("core.drawers.denominations")  # imported when a command runs: --help stays fast
money = lazy("core.ledger.money")
SUPERVISOR_PASSWORD_ENV, SUPERVISOR_CODE_ENV = "QENEX_SUPERVISOR_PASSWORD", "QENEX_SUPERVISOR_TOTP_CODE"


def register(sub: argparse._SubParsersAction) -> None:
    drawer = sub.add_parser("drawer", help="cash drawer sessions").add_subparsers(dest="drawer_command", required=True)
    p = _cmd(drawer, "open", "open a drawer with its float counted by denomination (the float comes from the vault)",
             _open)
    p.add_argument("drawer", help="drawer name, e.g. D1")
    p.add_argument("--currency", required=True)
    p.add_argument("--count", action="append", default=[], metavar="DENOMxPIECES",
                   help="pieces of one note or coin, e.g. 20x25; repeat per denomination")
    _mover(p)  # the vault's cash moves into the drawer: a named teller (--as) or --system
    p = _cmd(drawer, "close", "count a drawer blind, post any over/short and return its cash to the vault", _close)
    p.add_argument("drawer")
    p.add_argument("--currency", required=True)
    p.add_argument("--count", action="append", default=[], metavar="DENOMxPIECES",
                   help="the closing count (not needed again once the drawer was counted)")
    p.add_argument("--supervisor", help="username of the supervisor signing a difference above the limit (they give "
                                        "their password: QENEX_SUPERVISOR_PASSWORD or a prompt, and their one-time "
                                        "code: QENEX_SUPERVISOR_TOTP_CODE or a prompt)")
    p.add_argument("--note", default="", help="the supervisor's note: why the drawer is over or short")
    _mover(p)
    p = _cmd(drawer, "status", "open drawers with the cash each should hold", _status)
    p.add_argument("--currency")
    p.add_argument("--recent", type=LIMIT, help="also list the last N sessions, closed ones too")
    p = _cmd(drawer, "vault", "move cash between the vault and an open drawer", _vault)
    p.add_argument("drawer")
    p.add_argument("--currency", required=True)
    p.add_argument("--amount", required=True)
    p.add_argument("--to", required=True, choices=["drawer", "vault"], help="where the cash goes")
    p.add_argument("--id", help="your transfer id (idempotency key)")
    _mover(p)
    p = _cmd(drawer, "report", "the drawer report of a session (PDF)", _report)
    p.add_argument("session", type=ID, help="session number (from drawer status --recent)")
    p.add_argument("--pdf", type=file_path, required=True, metavar="FILE")
    p = _cmd(drawer, "ctr", "cash flagged for a currency transaction report", _ctr)
    p.add_argument("--since", help="first day, YYYY-MM-DD (local time)")
    p.add_argument("--limit", type=LIMIT, default=500)


def _svc(ctx):  # noqa: ANN001, ANN202
    return ctx.services.drawers


def _money(minor: int | None, code: str) -> str:
    return "-" if minor is None else money.format_minor(minor, code)


def _open(args, ctx) -> int:  # noqa: ANN001
    code = money.currency(args.currency)
    if not args.count:
        raise ValidationError("count the opening float: --count DENOMINATIONxPIECES per note or coin, e.g. "
                              "--count 20x25 --count 1x50")
    s = _svc(ctx).open(_money_actor(ctx, args), args.drawer, code, dn.parse_spec(args.count, code))
    ctx.emit(s.to_dict(), as_json=args.json,
             text=f"drawer {s.drawer} ({code}) open, session {s.id}: float {_money(s.opening_float, code)}")
    return 0


def _close(args, ctx) -> int:  # noqa: ANN001
    svc, actor = _svc(ctx), _money_actor(ctx, args)
    s = svc.find(SYSTEM_ACTOR, args.drawer, args.currency)
    code = s.currency
    counts = dn.parse_spec(args.count, code) if args.count else None
    if s.status == "open":
        if counts is None:
            raise ValidationError("count the drawer first: --count DENOMINATIONxPIECES per note or coin (the count is "
                                  "blind: the expected figure shows after it)")
        svc.count(actor, s.id, counts)
        s = svc.session(SYSTEM_ACTOR, s.id)
    elif counts is not None and counts != s.counts:
        raise DrawerState(f"drawer {s.drawer} was already counted blind at {_money(s.counted, code)}; a count is "
                          "final (leave out --count to close it)", session=s.id)
    diff = s.difference or 0
    try:
        password, one_time = _supervisor_secrets(ctx, args.supervisor) if abs(diff) > svc.limits.variance_limit(code) \
            and args.supervisor and len(args.note.strip()) >= 10 else (None, None)
        closed = svc.close(actor, s.id, supervisor=args.supervisor, password=password, code=one_time,
                           note=args.note)
    except SupervisorNoteRequired as err:
        raise SupervisorNoteRequired(f"counted {_money(s.counted, code)}, expected {_money(s.expected, code)}: "
                                     f"{err.message}; the count is kept: run drawer close again with --supervisor "
                                     "NAME --note TEXT", session=s.id) from None
    what = "balanced" if diff == 0 else f"{'over' if diff > 0 else 'short'} {_money(abs(diff), code)}"
    ctx.emit(closed.to_dict(), as_json=args.json,
             text=f"drawer {closed.drawer} ({code}) closed, session {closed.id}: counted {_money(closed.counted, code)},"
                  f" expected {_money(closed.expected, code)}, {what}; cash returned to the vault")
    return 0


def _supervisor_secrets(ctx, name: str) -> tuple[str | None, str | None]:  # noqa: ANN001
    """The signing supervisor's password and (once they enrolled) one-time code, from the environment or typed at
    a terminal; core checks them (``Drawers.close``). An unknown or non-supervisor name is refused there."""
    from sqlalchemy import select

    from app.commands.person import _secret
    from core.persistence.models import User
    from core.security.user_lookup import login_name

    with ctx.engine.connect() as conn:
        row = conn.execute(select(User.username, User.role, User.totp_enrolled_at)
                           .where(User.username == login_name(name))).first()
    if row is None or row.role != "supervisor":
        return None, None
    password = _secret(SUPERVISOR_PASSWORD_ENV, f"Password of supervisor {row.username}: ",
                       f"supervisor {row.username}'s password", "a supervisor signs the difference, so the close")
    code = _secret(SUPERVISOR_CODE_ENV, f"One-time code of supervisor {row.username}: ",
                   f"supervisor {row.username}'s one-time code", "a supervisor signs the difference, so the close") if row.totp_enrolled_at is not None else None
    return password, code.strip() if code else None


def _status(args, ctx) -> int:  # noqa: ANN001
    svc = _svc(ctx)
    live = svc.sessions(SYSTEM_ACTOR, currency=args.currency)
    lines = [f"{s.drawer:<8} {s.currency} session {s.id:<5} {s.teller:<12} {s.status:<8} opened "
             f"{s.opened_at.astimezone():%Y-%m-%d %H:%M}  cash expected {_money(s.cash, s.currency):>14}" for s in live]
    data: dict = {"open": [s.to_dict() for s in live]}
    if args.recent:
        recent = svc.recent(SYSTEM_ACTOR, args.recent)
        data["recent"] = [s.to_dict() for s in recent]
        lines.append("recent sessions:")
        lines += [f"  {s.id:<5} {s.drawer:<8} {s.currency} {s.teller:<12} {s.status:<8} "
                  f"difference {_money(s.difference, s.currency)}" for s in recent]
    ctx.emit(data, as_json=args.json, text="\n".join(lines) or "no drawer is open")
    return 0


def _vault(args, ctx) -> int:  # noqa: ANN001
    svc, actor = _svc(ctx), _money_actor(ctx, args)
    s = svc.find(SYSTEM_ACTOR, args.drawer, args.currency)
    r = svc.vault_transfer(actor, s.id, money.to_minor(args.amount, s.currency), to_drawer=args.to == "drawer",
                           id=args.id)
    ctx.emit(r.to_dict(), as_json=args.json,
             text=f"moved {_money(r.amount, r.currency)} {'from the vault to' if args.to == 'drawer' else 'to the vault from'}"
                  f" drawer {s.drawer} ({r.id})")
    return 0


def _report(args, ctx) -> int:  # noqa: ANN001
    doc = _svc(ctx).report(SYSTEM_ACTOR, args.session)
    doc.save(args.pdf)
    ctx.emit({"session": args.session, "pdf": str(args.pdf)}, as_json=args.json,
             text=f"wrote the drawer report of session {args.session} to {args.pdf}")
    return 0


def _ctr(args, ctx) -> int:  # noqa: ANN001
    since = _day(args.since, "--since")
    start = datetime.combine(since, time(0)).astimezone() if since else None
    rows = _svc(ctx).cash_reports(SYSTEM_ACTOR, since=start, limit=args.limit)
    text = "\n".join(f"{r.flagged_at.astimezone():%Y-%m-%d %H:%M} {r.account} {r.direction:<3} "
                     f"{_money(r.amount, r.currency):>14} {r.id_type} {r.id_number} teller {r.teller} ({r.transfer_id})"
                     for r in rows) or "no cash flagged for a currency transaction report"
    ctx.emit([r.to_dict() for r in rows], as_json=args.json, text=text)
    return 0
