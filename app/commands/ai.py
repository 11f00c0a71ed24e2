"""``qenex ai``: the self-improving fraud loop from the command line. Retraining and reading may run as the
system operator (a scheduler); accept, reject and rollback need a named supervisor (``--as USER``, required).

    qenex ai retrain [--if-due]          train a challenger now (or only when QENEX_MODEL_UPDATE_FREQUENCY says so)
    qenex ai recommendations             the open cards (--status decided|all for the others)
    qenex ai show ID                     one card with its evidence
    qenex ai accept ID                   apply it at once (audited; a drift card: retrain now)
    qenex ai reject ID --reason TEXT     turn it down (audited; a reason is required)
    qenex ai rollback ID                 restore exactly the model and settings before the accept
"""
from __future__ import annotations

import argparse
import sys

from app.commands import ai_text
from core.words import counted
from app.commands.alerts import actor_for, common
from core.errors import ValidationError


def _rec_id(text: str) -> int:
    raw = text.strip().lstrip("#")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2 ** 62:
        raise argparse.ArgumentTypeError(f"a recommendation id is a positive whole number like 12, not {text[:40]!r}")
    return int(raw)


def register(sub: argparse._SubParsersAction) -> None:
    ai = sub.add_parser("ai", help="fraud model retraining and recommendations").add_subparsers(
        dest="ai_command", required=True)
    p = common(ai.add_parser("retrain", help="train a challenger on every label known so far and refresh the "
                                             "recommendations"))
    p.add_argument("--if-due", action="store_true",
                   help="only when no run started within QENEX_MODEL_UPDATE_FREQUENCY seconds (for a scheduler)")
    p.set_defaults(handler=_retrain)
    p = common(ai.add_parser("recommendations", help="list recommendations (the open ones by default)"))
    p.add_argument("--status", default="open", choices=["open", "decided", "accepted", "rejected", "rolled_back",
                                                        "superseded", "all"])
    p.set_defaults(handler=_list)
    for name, text in (("show", "one recommendation with its evidence"), ("accept", "apply a recommendation now"),
                       ("rollback", "restore the model and settings from before an accepted recommendation")):
        p = common(ai.add_parser(name, help=text), None if name == "show" else "supervisor")
        p.add_argument("id", type=_rec_id)
        p.set_defaults(handler=_ACTIONS[name])
    p = common(ai.add_parser("reject", help="reject a recommendation (needs --reason)"), "supervisor")
    p.add_argument("id", type=_rec_id)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=_reject)


def _desk(ctx):  # noqa: ANN001, ANN202
    return ctx.services.ai


def _progress(as_json: bool):  # noqa: ANN202
    """Steps on stderr for a person at a terminal (never in a pipe or log, where a failure is one line); a
    step repeated while the run works (it is polled) is printed once."""
    last: list = []

    def report(done: int, total: int, label: str) -> None:
        if [done, label] == last:
            return
        last[:] = [done, label]
        if label and not as_json and sys.stderr is not None and sys.stderr.isatty():
            print(f"[{done}/{total}] {label}", file=sys.stderr, flush=True)
    return report


def _retrain(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    actor = actor_for(ctx, args.as_user)
    desk = _desk(ctx)
    if args.if_due:
        result = desk.retrain_if_due(actor, progress=_progress(args.json))
        if result is None:
            ctx.emit({"run": None, "status": "not due"}, as_json=args.json,
                     text="no retrain due (one ran within QENEX_MODEL_UPDATE_FREQUENCY seconds, or one is running)")
            return 0
    else:
        result = desk.retrain(actor, progress=_progress(args.json))
    lines = ai_text.run_summary(result)
    ctx.emit(result.to_dict(), as_json=args.json, text="\n".join(lines))
    return 0


def _list(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    recs = _desk(ctx).recommendations(actor_for(ctx, args.as_user), args.status)
    text = "\n".join(ai_text.line(r) for r in recs) if recs else (
        f"no {args.status if args.status != 'all' else ''} recommendations (run: qenex ai retrain)".replace("  ", " "))
    ctx.emit([r.to_dict(evidence=False) for r in recs], as_json=args.json, text=text)
    return 0


def _show(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    r = _desk(ctx).get(actor_for(ctx, args.as_user), args.id)
    lines = ai_text.show(r)
    ctx.emit(r.to_dict(), as_json=args.json, text="\n".join(lines))
    return 0


def _accept(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    actor = actor_for(ctx, args.as_user)
    r = _desk(ctx).accept(actor, args.id, progress=_progress(args.json))
    if r.kind == "drift":  # accepting it ran a retrain
        run = _desk(ctx).run(actor, r.after["retrain"])
        found = len(run.recommendations)
        ctx.emit({**r.to_dict(evidence=False), "run": run.to_dict()}, as_json=args.json,
                 text=f"accepted #{r.id}: {r.title}\nretrain #{run.run_id} {run.status}: "
                      f"{counted(found, 'open recommendation')}"
                      + (f", challenger v{run.challenger} waiting for a decision" if run.challenger else "")
                      + " (qenex ai recommendations)")
        return 0
    ctx.emit(r.to_dict(evidence=False), as_json=args.json,
             text=f"accepted #{r.id}: {r.title}\nnow in force: model {_v(r.after, 'model')}, settings "
                  f"{_v(r.after, 'settings')} (undo: qenex ai rollback {r.id})")
    return 0


def _reject(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    if not args.reason.strip():
        raise ValidationError("Say why the recommendation is rejected: --reason TEXT (at least 10 characters and 2 "
                              "words)")
    r = _desk(ctx).reject(actor_for(ctx, args.as_user), args.id, args.reason)
    ctx.emit(r.to_dict(evidence=False), as_json=args.json, text=f"rejected #{r.id}: {r.title}")
    return 0


def _rollback(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    r = _desk(ctx).rollback(actor_for(ctx, args.as_user), args.id)
    restored = "model " + _v(r.before, "model") if r.kind == "promote" else "settings " + _v(r.before, "settings")
    ctx.emit(r.to_dict(evidence=False), as_json=args.json,
             text=f"rolled back #{r.id}: {restored} in force again\nhistory: {ai_text.history(r)}")
    return 0


def _v(state: dict | None, key: str) -> str:
    value = (state or {}).get(key)
    if value is None:
        return "none" if key == "model" else "defaults"
    return f"v{value}"


_ACTIONS = {"show": _show, "accept": _accept, "rollback": _rollback}
