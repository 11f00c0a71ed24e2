"""``qenex cases``: fraud cases from the command line (list, open, add, note, close, show, merge, attach, sar).

Like ``qenex alerts``, commands act as ``--as USER`` or the system operator, and print times in the
operator's time zone (UTC ISO 8601 with ``--json``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from core.words import counted
from app.commands.alerts import actor_for, common
from app.commands.args import ID, LIMIT, file_path
from app.zone import local, operator_zone, zone_name
from core.errors import ValidationError

CASE_OUTCOMES = ("confirmed", "false-positive", "inconclusive")
PERSON = "analyst or supervisor"  # case work is a decision: --as is required (core.security.roles.HUMAN_ONLY)


def register(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser("cases", help="fraud cases").add_subparsers(dest="cases_command", required=True)
    p = common(cases.add_parser("list", help="list cases (open and investigating by default)"))
    p.add_argument("--status", default="active", choices=["active", "open", "investigating", "resolved", "merged", "all"])
    p.add_argument("--search", help="words of the title, or #case")
    p.add_argument("--limit", type=LIMIT, default=50)
    p.set_defaults(handler=_list)
    p = common(cases.add_parser("open", help="open a case, optionally with alerts"), PERSON)
    p.add_argument("--title", required=True)
    p.add_argument("--alert", type=ID, action="append", default=[], metavar="ID", help="an alert to put in it (repeat)")
    p.set_defaults(handler=_open)
    p = common(cases.add_parser("add", help="add alerts to a case"), PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("alerts", type=ID, nargs="+", metavar="ALERT")
    p.set_defaults(handler=_add)
    p = common(cases.add_parser("note", help="add a note to a case"), PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("--note", required=True)
    p.set_defaults(handler=_note)
    p = common(cases.add_parser("close", help="resolve a case with an outcome (needs --note; no open alert left)"),
               PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("--outcome", required=True, choices=CASE_OUTCOMES)
    p.add_argument("--note", default="")
    p.set_defaults(handler=_close)
    p = common(cases.add_parser("reopen", help="reopen a resolved case (needs --note)"), PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("--note", default="")
    p.set_defaults(handler=_reopen)
    p = common(cases.add_parser("show", help="a case with its alerts, files and timeline"))
    p.add_argument("case", type=ID)
    p.set_defaults(handler=_show)
    p = common(cases.add_parser("merge", help="merge case SOURCE into case TARGET (needs --note)"), PERSON)
    p.add_argument("target", type=ID)
    p.add_argument("source", type=ID)
    p.add_argument("--note", default="")
    p.set_defaults(handler=_merge)
    p = common(cases.add_parser("attach", help="attach a file to a case (stored in the database, at most 5 MB)"),
               PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("file", type=file_path)
    p.set_defaults(handler=_attach)
    p = common(cases.add_parser("sar", help="write a suspicious-activity report draft (PDF) of a confirmed-fraud case"),
               PERSON)
    p.add_argument("case", type=ID)
    p.add_argument("--out", type=file_path, required=True, help="where to write the PDF")
    p.set_defaults(handler=_sar)


def _book(ctx):  # noqa: ANN001, ANN202
    return ctx.services.fraud.cases


def _case_line(c) -> str:  # noqa: ANN001
    outcome = f" {c.outcome}" if c.outcome else ""
    return (f"#{c.id:<5} {c.status:13}{outcome:16} {c.open_alerts}/{c.alerts} open alerts  "
            f"updated {local(c.updated_at)}  {c.title}")


def _emit_case(ctx, args, case, verb: str) -> int:  # noqa: ANN001
    ctx.emit(case.to_dict(), as_json=args.json, text=f"{verb} case #{case.id}: {case.title} ({case.status}"
                                                     f"{', ' + case.outcome if case.outcome else ''})")
    return 0


def _list(args, ctx) -> int:  # noqa: ANN001
    actor = actor_for(ctx, args.as_user)
    rows = _book(ctx).list(actor, args.status, args.search, 0, args.limit)
    total = _book(ctx).count(actor, args.status, args.search)
    text = "\n".join([*(_case_line(c) for c in rows),
                      f"{len(rows)} of {counted(total, 'case')}; times in {zone_name()}"])
    ctx.emit({"total": total, "cases": [c.to_dict() for c in rows]}, as_json=args.json,
             text=text if rows else f"no cases ({args.status})")
    return 0


def _open(args, ctx) -> int:  # noqa: ANN001
    return _emit_case(ctx, args, _book(ctx).open(actor_for(ctx, args.as_user), args.title, args.alert), "opened")


def _add(args, ctx) -> int:  # noqa: ANN001
    return _emit_case(ctx, args, _book(ctx).add_alerts(actor_for(ctx, args.as_user), args.case, args.alerts), "updated")


def _note(args, ctx) -> int:  # noqa: ANN001
    return _emit_case(ctx, args, _book(ctx).note(actor_for(ctx, args.as_user), args.case, args.note), "noted on")


def _close(args, ctx) -> int:  # noqa: ANN001
    return _emit_case(ctx, args, _book(ctx).close(actor_for(ctx, args.as_user), args.case, args.outcome, args.note),
                      "resolved")


def _reopen(args, ctx) -> int:  # noqa: ANN001
    return _emit_case(ctx, args, _book(ctx).reopen(actor_for(ctx, args.as_user), args.case, args.note), "reopened")


def _merge(args, ctx) -> int:  # noqa: ANN001
    case = _book(ctx).merge(actor_for(ctx, args.as_user), args.target, args.source, args.note)
    return _emit_case(ctx, args, case, f"merged #{args.source} into")


def _attach(args, ctx) -> int:  # noqa: ANN001
    from core.cases.files import MAX_FILE_BYTES

    path: Path = args.file
    if not path.is_file():
        raise ValidationError(f"{path} is not a file; give the path of the file to attach")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(f"{path.name} is {path.stat().st_size / 1048576:.1f} MB; a case file may be at most "
                              f"{MAX_FILE_BYTES // 1048576} MB")
    info = _book(ctx).attach(actor_for(ctx, args.as_user), args.case, path.name, path.read_bytes())
    ctx.emit(info.to_dict(), as_json=args.json,
             text=f"attached {info.name} ({info.size:,} bytes, sha256 {info.sha256[:16]}…) to case #{args.case}")
    return 0


def _show(args, ctx) -> int:  # noqa: ANN001
    from app.commands.alerts import alert_line, timeline_lines
    from core.persistence.base import utcnow

    d = _book(ctx).detail(actor_for(ctx, args.as_user), args.case)
    zone, now = operator_zone(), utcnow()
    lines = [_case_line(d.case), "", "alerts:"] + [f"  {alert_line(a, now)}" for a in d.alerts]
    lines += ["", "files:"] + [f"  #{f.id} {f.name} ({f.size:,} bytes) by {f.added_by}, {local(f.added_at, zone)}"
                               for f in d.files]
    ctx.emit(d.to_dict(), as_json=args.json, text="\n".join(lines + timeline_lines(d.events, zone)))
    return 0


def _sar(args, ctx) -> int:  # noqa: ANN001
    out: Path = args.out
    if not out.parent.exists():
        raise ValidationError(f"folder {out.parent} does not exist; create it or choose another --out")
    data = _book(ctx).sar_draft(actor_for(ctx, args.as_user), args.case, operator_zone())
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    ctx.emit({"case": args.case, "out": str(out), "bytes": len(data)}, as_json=args.json,
             text=f"wrote the suspicious-activity report draft of case #{args.case} to {out} ({len(data):,} bytes)")
    return 0
