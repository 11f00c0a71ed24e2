"""Standing instruction commands: ``qenex standing add|list|runs|run|cancel`` (as the system operator)."""
from __future__ import annotations

import argparse

from core.words import counted
from app.commands.args import ID
from app.commands.ledger import _money_actor, _mover
from app.commands.teller import _cmd, _day
from typing import TYPE_CHECKING

from app.lazy import lazy
from core.security.roles import SYSTEM_ACTOR

if TYPE_CHECKING:
    from core.teller.standing import InstructionView

money = lazy("core.ledger.money")  # imported when a command runs: --help stays fast


def register(sub: argparse._SubParsersAction) -> None:
    standing = sub.add_parser("standing", help="standing instructions (recurring transfers)").add_subparsers(
        dest="standing_command", required=True)
    p = _cmd(standing, "add", "add a customer's recurring transfer", _add)
    p.add_argument("--from", dest="debit", required=True, metavar="ACCOUNT", help="the customer's account paying")
    p.add_argument("--to", dest="credit", required=True, metavar="ACCOUNT", help="the customer account paid")
    p.add_argument("--amount", required=True, help="fixed amount in the account's currency, e.g. 250.00")
    p.add_argument("--every", required=True, choices=["weekly", "monthly"])
    p.add_argument("--start", help="first due date, YYYY-MM-DD (default today); fixes the weekday or day of month")
    p.add_argument("--until", help="last date it may run, YYYY-MM-DD (default: until cancelled)")
    p.add_argument("--description", default="")
    _mover(p)  # a mandate to move a customer's money: a named teller (--as) or --system
    p = _cmd(standing, "list", "standing instructions with the next due date and the last run", _list)
    p.add_argument("--account", help="only those paying from or into this account")
    p = _cmd(standing, "runs", "an instruction's run history (posted, held, failed with the reason)", _runs)
    p.add_argument("instruction", type=ID)
    p = _cmd(standing, "run", "run every due date not run yet (the console's worker does this on its own)", _run)
    p.add_argument("--instruction", type=ID, help="only this instruction")
    _mover(p)  # --as a supervisor (a teller is refused), or --system: the scheduler's own path
    p = _cmd(standing, "cancel", "stop an instruction (its history stays)", _cancel)
    p.add_argument("instruction", type=ID)
    _mover(p)


def _line(v: InstructionView) -> str:
    last = f"last {v.last_run.due_date} {v.last_run.state}" if v.last_run else "not run yet"
    return (f"#{v.id:<4} {v.status:<9} {v.debit} -> {v.credit} {money.format_minor(v.amount, v.currency):>12} "
            f"{v.frequency:<7} next {v.next_due or '-'}; {last}; failures {v.failures}"
            f"{'; ' + v.description if v.description else ''}")


def _add(args, ctx) -> int:  # noqa: ANN001
    svc, actor = ctx.services.standing, _money_actor(ctx, args)
    detail = ctx.services.teller.account(SYSTEM_ACTOR, args.debit)
    start = _day(args.start, "--start") or svc.today()
    until = _day(args.until, "--until")
    v = svc.add(actor, args.debit, args.credit, money.to_minor(args.amount, detail.account.currency),
                args.every, start, until, args.description)
    ctx.emit(v.to_dict(), as_json=args.json, text=f"standing instruction {_line(v)}"
             + (f"\nwarning: {v.warning}" if v.warning else ""))
    return 0


def _list(args, ctx) -> int:  # noqa: ANN001
    rows = ctx.services.standing.list(SYSTEM_ACTOR, account=args.account)
    ctx.emit([v.to_dict() for v in rows], as_json=args.json,
             text="\n".join(_line(v) for v in rows) or "no standing instructions")
    return 0


def _runs(args, ctx) -> int:  # noqa: ANN001
    rows = ctx.services.standing.runs(SYSTEM_ACTOR, args.instruction)
    text = "\n".join(f"{r.due_date} {r.state:<7} {r.transfer_id}{'  ' + (r.message or '') if r.state == 'failed' else ''}"
                     for r in rows) or f"instruction {args.instruction} has not run yet"
    ctx.emit([r.to_dict() for r in rows], as_json=args.json, text=text)
    return 0


def _run(args, ctx) -> int:  # noqa: ANN001
    svc = ctx.services.standing
    runs = svc.run_due(_money_actor(ctx, args), through=svc.today(), instruction_id=args.instruction)
    failed = sum(r.state == "failed" for r in runs)
    text = "\n".join(f"#{r.instruction_id} {r.due_date} {r.state}{': ' + (r.message or '') if r.message else ''}"
                     for r in runs) or f"nothing due (through {svc.today()})"
    if runs:
        text += f"\n{counted(len(runs), 'run')}, {failed} failed"
    ctx.emit([r.to_dict() for r in runs], as_json=args.json, text=text)
    return 0


def _cancel(args, ctx) -> int:  # noqa: ANN001
    v = ctx.services.standing.cancel(_money_actor(ctx, args), args.instruction)
    ctx.emit(v.to_dict(), as_json=args.json, text=f"standing instruction #{v.id} {v.status}")
    return 0
