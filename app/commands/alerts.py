"""``qenex alerts``: the fraud queue from the command line (list, next, claim, release, disposition, ...).

Commands act as the user named by ``--as USER`` (an active analyst or supervisor; the audit trail names
them). Reading (list, show, rules, suppressions, sla) may go without it, as the system operator; every decision
(claim, next, release, disposition, reassign, note, raise, unsuppress) needs a named person
(core.security.roles.HUMAN_ONLY), so ``--as`` is required there. Times print in the operator's time zone
(``app.zone``), with the zone named; ``--json`` prints UTC ISO 8601 times.
"""
from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta
from typing import Any

from core.words import counted, duration
from app.commands.args import ID, LIMIT, OFFSET, clip, whole
from app.zone import local, operator_zone, zone_name
from core.errors import QenexError, ValidationError
from core.security.roles import Actor

OUTCOMES = ("confirmed", "false-positive", "inconclusive", "escalate")
# core.cases.dispositions.MAX_SNOOZE and core.cases.suppressions.MAX_DAYS, as numbers: importing case work here
# would load the database layer for `qenex --help` (tests/cli/test_startup.py checks they agree)
MAX_SNOOZE_DAYS = 90
MAX_SUPPRESS_DAYS = 90
SNOOZE_DAYS = whole(1, MAX_SNOOZE_DAYS, "a number of days to snooze")
SUPPRESS_DAYS = whole(1, MAX_SUPPRESS_DAYS, "a number of days to suppress")


PERSON = "analyst or supervisor"  # who makes a decision on an alert (--as required)


def actor_for(ctx, name: str | None) -> Actor:  # noqa: ANN001
    """The acting user for ``--as NAME`` once they proved who they are (``app.commands.person``), or the
    system operator."""
    from app.commands.person import actor_for as signed_in

    return signed_in(ctx, name)


AS_READ = ("act as this user, signed in with their password (QENEX_PASSWORD or asked) and code when enrolled "
           "(QENEX_TOTP_CODE); optional: without it the system operator reads, but never decides")


def as_person(who: str) -> str:
    """``--as`` help for a decision: ``who`` (e.g. "analyst or supervisor") must be named."""
    return (f"the {who} making this decision, signed in with their password (QENEX_PASSWORD or asked) and code "
            "when enrolled (QENEX_TOTP_CODE) (required: the system operator never decides)")


def common(p: argparse.ArgumentParser, person: str | None = None) -> argparse.ArgumentParser:
    """``--as USER`` and ``--json``; ``person`` (e.g. "analyst or supervisor"): a decision, so --as is required."""
    p.add_argument("--as", dest="as_user", metavar="USER", required=person is not None,
                   help=as_person(person) if person else AS_READ)
    p.add_argument("--json", action="store_true", help="machine-readable output (UTC times)")
    return p


def register(sub: argparse._SubParsersAction) -> None:
    alerts = sub.add_parser("alerts", help="the fraud alert queue").add_subparsers(dest="alerts_command",
                                                                                   required=True)
    p = common(alerts.add_parser("list", help="list alerts (the active queue by default)"))
    p.add_argument("--status", default="active",
                   choices=["active", "open", "mine", "snoozed", "escalated", "overdue", "supervise", "closed", "all"],
                   help="escalated: handed to the supervisors (only they act); overdue: past the SLA (analysts may "
                        "still work them); supervise: either")
    p.add_argument("--band", help="SLA score band, e.g. high")
    p.add_argument("--rule", help="rule key, e.g. amount_limit (see 'qenex alerts rules')")
    p.add_argument("--channel")
    p.add_argument("--assignee", help="a user name, 'me' or 'unassigned'")
    p.add_argument("--min-amount")
    p.add_argument("--max-amount")
    p.add_argument("--search", help="customer name, account, transfer id, counterparty or #alert")
    p.add_argument("--sort", default="priority",
                   choices=["priority", "score", "newest", "oldest", "due", "amount", "customer", "assignee",
                            "channel", "rule", "closed"])
    p.add_argument("--reverse", action="store_true", help="the --sort order backwards (as a second click on the "
                                                          "console's header)")
    p.add_argument("--limit", type=LIMIT, default=50)
    p.add_argument("--offset", type=OFFSET, default=0)
    p.set_defaults(handler=_list)
    common(alerts.add_parser("next", help="claim the most urgent unclaimed alert"), PERSON).set_defaults(handler=_next)
    for name, fn, text in (("claim", _claim, "claim an alert"), ("release", _release, "give an alert back"),
                           ("show", _show, "an alert's detail: transfer, customer, normal, related, timeline")):
        p = common(alerts.add_parser(name, help=text), None if name == "show" else PERSON)
        p.add_argument("id", type=ID)
        p.set_defaults(handler=fn)
    p = common(alerts.add_parser("disposition", help="decide one or more alerts (the held funds follow)"), PERSON)
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.add_argument("--outcome", required=True, choices=OUTCOMES)
    p.add_argument("--note", default="", help="why (required for confirmed and escalate)")
    p.add_argument("--snooze-until", help="inconclusive: back in the queue on this date (YYYY-MM-DD[ HH:MM], local)")
    p.add_argument("--snooze-days", type=SNOOZE_DAYS, help="inconclusive: back in the queue after N days")
    p.add_argument("--freeze", action="store_true", help="confirmed: ask a supervisor to freeze the payer's account")
    p.add_argument("--suppress", metavar="RULE", help="false-positive: snooze this rule ...")
    p.add_argument("--scope", choices=["card", "counterparty"], default="counterparty", help="... for the card or counterparty")
    p.add_argument("--days", type=SUPPRESS_DAYS, default=30, help="... for this many days (default 30)")
    p.set_defaults(handler=_with_note_flag(_disposition))
    p = common(alerts.add_parser("reassign", help="hand an alert to another analyst (needs --note)"), PERSON)
    p.add_argument("id", type=ID)
    p.add_argument("--to", required=True, metavar="USER")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_with_note_flag(_reassign))
    p = common(alerts.add_parser("note", help="add a note to an alert's timeline"), PERSON)
    p.add_argument("id", type=ID)
    p.add_argument("--note", required=True)
    p.set_defaults(handler=_note)
    p = common(alerts.add_parser("raise", help="raise an alert on a transfer by hand (needs --note)"), PERSON)
    p.add_argument("transfer_id")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_with_note_flag(_raise))
    common(alerts.add_parser("escalate-overdue", help="flag alerts past their SLA as overdue and tell the supervisors "
                                                         "(analysts may still work them)")
           ).set_defaults(handler=_escalate)
    p = common(alerts.add_parser("sla", help="show (or --set, as admin) the SLA bands"))
    p.add_argument("--set", nargs="+", metavar="NAME=MIN_SCORE:MINUTES", help="e.g. high=0.8:60 medium=0.65:240 low=0:1440")
    p.set_defaults(handler=_sla)
    p = common(alerts.add_parser("suppressions", help="rules snoozed for a card or counterparty"))
    p.add_argument("--all", action="store_true", help="include expired and revoked ones")
    p.set_defaults(handler=_suppressions)
    p = common(alerts.add_parser("unsuppress", help="end a suppression early"), PERSON)
    p.add_argument("id", type=ID)
    p.set_defaults(handler=_unsuppress)
    common(alerts.add_parser("rules", help="the rule keys alerts are filed under")).set_defaults(handler=_rules)


def _desk(ctx):  # noqa: ANN001, ANN202
    return ctx.services.fraud


def _money(row: Any) -> str:
    from core.ledger.money import format_minor

    return format_minor(row.amount, row.currency) if row.amount is not None and row.currency else "-"


def _sla_words(row: Any, now: datetime) -> str:
    if row.status == "closed":
        return "-"
    left = (row.due_at - now).total_seconds()  # core.words.duration: the console's words, never "0 min"
    return f"OVERDUE {duration(left)}" if left < 0 else f"due in {duration(left)}"


def alert_line(row: Any, now: datetime) -> str:
    return (f"#{row.id:<7} {local(row.created_at)[:16]:16} {row.score:5.2f} {row.band:7} {row.state(now):9} "
            f"{clip(row.assignee or '-', 10)} {_money(row):>14}  {clip(row.customer_name or '-', 20)} "
            f"{_sla_words(row, now):15} {clip(row.reasons_summary, 60).rstrip()}")


def _list(args, ctx) -> int:  # noqa: ANN001
    from core.cases.queue import AlertFilter
    from core.persistence.base import utcnow

    actor = actor_for(ctx, args.as_user)
    f = AlertFilter(status=args.status, band=args.band, rule=args.rule, channel=args.channel, assignee=args.assignee,
                    min_amount=args.min_amount, max_amount=args.max_amount, text=args.search, sort=args.sort,
                    reverse=args.reverse)
    desk = _desk(ctx)
    rows, total = desk.alerts(actor, f, args.offset, args.limit), desk.count(actor, f)
    now = utcnow()
    head = (f"{'alert':8} {'raised':16} {'score':>5} {'band':7} {'status':9} {'assignee':10} {'amount':>14}  "
            f"{'customer':20} {'SLA':15} reasons")
    text = "\n".join([head, *(alert_line(r, now) for r in rows),
                      f"{len(rows)} of {counted(total, 'alert')} ({args.status}); times in {zone_name()}"])
    ctx.emit({"total": total, "offset": args.offset, "alerts": [r.to_dict() for r in rows]}, as_json=args.json,
             text=text if rows else f"no alerts ({args.status}); 0 of {total}")
    return 0


def _emit_alert(ctx, args, row, verb: str) -> int:  # noqa: ANN001
    from core.persistence.base import utcnow

    ctx.emit(row.to_dict(), as_json=args.json, text=f"{verb} alert #{row.id} ({row.transfer_id}, {_money(row)}, "
                                                    f"{row.customer_name or '-'}): {_sla_words(row, utcnow())}")
    return 0


def _next(args, ctx) -> int:  # noqa: ANN001
    return _emit_alert(ctx, args, _desk(ctx).next(actor_for(ctx, args.as_user)), "claimed")


def _claim(args, ctx) -> int:  # noqa: ANN001
    return _emit_alert(ctx, args, _desk(ctx).claim(actor_for(ctx, args.as_user), args.id), "claimed")


def _release(args, ctx) -> int:  # noqa: ANN001
    return _emit_alert(ctx, args, _desk(ctx).release(actor_for(ctx, args.as_user), args.id), "released")


def _reassign(args, ctx) -> int:  # noqa: ANN001
    row = _desk(ctx).reassign(actor_for(ctx, args.as_user), args.id, args.to, args.note)
    return _emit_alert(ctx, args, row, f"reassigned to {row.assignee}:")


def _note(args, ctx) -> int:  # noqa: ANN001
    _desk(ctx).note(actor_for(ctx, args.as_user), args.id, args.note)
    ctx.emit({"alert_id": args.id, "note": args.note.strip()}, as_json=args.json, text=f"note added to alert #{args.id}")
    return 0


def _raise(args, ctx) -> int:  # noqa: ANN001
    return _emit_alert(ctx, args, _desk(ctx).raise_manual(actor_for(ctx, args.as_user), args.transfer_id, args.note),
                       "raised")


def snooze_time(text: str | None, days: int | None) -> datetime | None:
    """``--snooze-until`` (a local date, or date and time) or ``--snooze-days`` as a UTC-aware time."""
    from core.persistence.base import utcnow

    if text and days is not None:
        raise ValidationError("give --snooze-until or --snooze-days, not both")
    if days is not None:
        return utcnow() + timedelta(days=days)
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"--snooze-until {text!r} is not a date; write YYYY-MM-DD or 'YYYY-MM-DD HH:MM'") from None
    if value.tzinfo is None:
        if len(text.strip()) <= 10:
            value = datetime.combine(value.date(), time(0, 0))
        value = value.replace(tzinfo=operator_zone())
    return value


def _with_note_flag(handler):  # noqa: ANN001, ANN202
    """Core says a note is missing in words for every desk; the command line adds its option's name."""
    from core.cases.errors import NoteRequired

    def run(args, ctx) -> int:  # noqa: ANN001
        try:
            return handler(args, ctx)
        except NoteRequired as err:
            raise NoteRequired(f"{err.message} (give it with --note TEXT)") from None
    return run


def _disposition(args, ctx) -> int:  # noqa: ANN001
    from core.cases.dispositions import Decision, SuppressRequest

    from core.cases.dispositions import check
    from core.persistence.base import utcnow

    suppress = SuppressRequest(args.suppress, args.scope, args.days) if args.suppress else None
    decision = Decision(args.outcome, args.note, snooze_time(args.snooze_until, args.snooze_days), args.freeze, suppress)
    check(decision, utcnow())  # what the decision itself lacks is said before anyone is asked for a password
    actor = actor_for(ctx, args.as_user)
    desk = _desk(ctx)
    if len(args.ids) == 1:
        result = desk.dispose(actor, args.ids[0], decision)
        ctx.emit(result.to_dict(), as_json=args.json, text=_result_words(result))
        return 0
    results = desk.dispose_many(actor, args.ids, decision)
    items = [{"alert_id": i, "ok": True, **r.to_dict()} if not isinstance(r, QenexError)
             else {"alert_id": i, "ok": False, **r.to_dict()} for i, r in zip(dict.fromkeys(args.ids), results)]
    lines = [(_result_words(r) if not isinstance(r, QenexError) else f"alert #{i}: refused: {r.code}: {r.message}")
             for i, r in zip(dict.fromkeys(args.ids), results)]
    failed = sum(1 for r in results if isinstance(r, QenexError))
    lines.append(f"{len(results) - failed} decided, {failed} refused")
    ctx.emit({"results": items, "decided": len(results) - failed, "refused": failed}, as_json=args.json,
             text="\n".join(lines))
    return 1 if failed else 0


def _result_words(r: Any) -> str:
    money = {"voided": "hold voided", "posted": "hold posted", "corrected": "payment reversed",
             "held": "funds stay held", "expired": "hold had expired", "none": "no money moved"}[r.money]
    extra = f", back in the queue {local(r.snoozed_until)}" if r.snoozed_until else ""
    if r.freeze:
        extra += ", account freeze sent to a supervisor"
    return f"alert #{r.alert_id}: {r.code or 'ESCALATED'} ({r.status}); {money}{extra}"


def _show(args, ctx) -> int:  # noqa: ANN001
    from core.persistence.base import utcnow

    d = _desk(ctx).detail(actor_for(ctx, args.as_user), args.id, operator_zone())
    a, zone = d.alert, operator_zone()
    lines = [alert_line(a, utcnow()), f"why: {'; '.join(a.reasons) or '-'}"]
    if a.escalation_words:
        lines.append(a.escalation_words)
    if d.transfer:
        t = d.transfer
        lines.append(f"transfer {t.id}: {t.state}, {_money(a)} {t.debit} -> {t.credit} via {t.channel}"
                     f"{', counterparty ' + t.counterparty if t.counterparty else ''}")
    if d.customer:
        c = d.customer
        lines.append(f"customer {c.name} ({c.number}, {c.country}), {counted(c.alerts, 'alert')}, "
                     f"{c.confirmed} confirmed fraud")
    lines += ["", "against the customer's normal:"]
    lines += [f"  {'!' if n.unusual else ' '} {n.name:32} {n.value:24} {n.normal}" for n in d.normal]
    lines += ["", "related:"] + [f"  alert #{r.alert.id} ({', '.join(r.shared)}) {r.alert.state(utcnow())}"
                                 for r in d.related_alerts] + [f"  transfer {r.id} ({r.shared}) {r.state}"
                                                               for r in d.related_transfers[:10]]
    ctx.emit(d.to_dict(), as_json=args.json, text="\n".join(lines + timeline_lines(d.events, zone)))
    return 0


def timeline_lines(events, zone) -> list[str]:  # noqa: ANN001
    """An alert's or a case's timeline for people, times in ``zone``, and the zone named."""
    return (["", "timeline:"] + [f"  {local(e.at, zone)}  {e.describe(zone)}{': ' + e.note if e.note else ''}"
                                 for e in events] + [f"times in {zone_name(zone)}"])


def _escalate(args, ctx) -> int:  # noqa: ANN001
    ids = _desk(ctx).escalate_overdue(actor_for(ctx, args.as_user))
    ctx.emit({"overdue": ids, "escalated": ids}, as_json=args.json,  # "escalated": the old key, kept for scripts
             text=f"{counted(len(ids), 'alert')} newly overdue: the supervisors were told; analysts may still work "
                  "them (qenex alerts list --status overdue)")
    return 0


def _sla(args, ctx) -> int:  # noqa: ANN001
    from core.cases.sla import SlaPolicy, parse_band

    actor, desk = actor_for(ctx, args.as_user), _desk(ctx)
    policy = desk.set_sla_policy(actor, SlaPolicy(tuple(parse_band(b) for b in args.set))) if args.set \
        else desk.sla_policy(actor)
    text = "\n".join(f"{b.name:10} score >= {b.min_score:.2f}: due {b.minutes} min after the alert" for b in policy.bands)
    ctx.emit({"bands": [b.to_dict() for b in policy.bands]}, as_json=args.json, text=text)
    return 0


def _suppressions(args, ctx) -> int:  # noqa: ANN001
    from core.cases.rules import title

    rows = _desk(ctx).suppressions(actor_for(ctx, args.as_user), active_only=not args.all)
    text = "\n".join(f"#{s.id:<5} {clip(title(s.rule), 34)} {clip(s.label, 40)} until {local(s.until)} "
                     f"by {s.created_by}, {counted(s.hits, 'hit')}{' (revoked)' if s.revoked_at else ''}" for s in rows)
    ctx.emit([s.to_dict() for s in rows], as_json=args.json, text=text or "no suppressions in force")
    return 0


def _unsuppress(args, ctx) -> int:  # noqa: ANN001
    s = _desk(ctx).revoke_suppression(actor_for(ctx, args.as_user), args.id)
    ctx.emit(s.to_dict(), as_json=args.json, text=f"suppression #{s.id} ended")
    return 0


def _rules(args, ctx) -> int:  # noqa: ANN001
    from core.cases.rules import RULES, SUPPRESSIBLE

    ctx.emit([{"rule": k, "title": v, "suppressible": k in SUPPRESSIBLE} for k, v in RULES.items()], as_json=args.json,
             text="\n".join(f"{k:22} {v}{'' if k in SUPPRESSIBLE else '  (never suppressed)'}" for k, v in RULES.items()))
    return 0
