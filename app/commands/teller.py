"""Teller commands: ``qenex customer add|search|show``, ``qenex statement``, ``qenex hold place|release|list``.

They act as the system operator (``hold place --as USER``: a named teller), except ``hold release`` (a named supervisor, ``--as USER``: releasing a hold
early is human-only, core.security.roles.HUMAN_ONLY); they print for people by default and one JSON document
with ``--json``.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta

from core.words import counted
from app.commands.args import ID, LIMIT, file_path, whole
from app.lazy import lazy
from core.errors import ValidationError
from core.security.roles import SYSTEM_ACTOR

money = lazy("core.ledger.money")


def _teller(ctx):  # noqa: ANN001, ANN202
    return ctx.services.teller


def _cmd(parent, name: str, help: str, handler):  # noqa: ANN001, ANN202, A002
    p = parent.add_parser(name, help=help, description=help)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=handler)
    return p


def register(sub: argparse._SubParsersAction) -> None:
    customer = sub.add_parser("customer", help="customers").add_subparsers(dest="customer_command", required=True)
    p = _cmd(customer, "add", "add a customer (with --dob, --phone, --address, --id-type and --id-number every "
                              "field is checked as at the desk)", _customer_add)
    p.add_argument("--name", required=True)
    p.add_argument("--country", default="US", help="ISO 3166 two-letter code (default US)")
    p.add_argument("--dob", help="date of birth, YYYY-MM-DD")
    p.add_argument("--phone", help="phone number, with + and country code or as dialled in --country")
    p.add_argument("--address", help="postal address")
    p.add_argument("--id-type", help="passport, national_id, driving_licence or residence_permit")
    p.add_argument("--id-number", help="the ID document's number")
    p = _cmd(customer, "search", "find customers by name, account number, IBAN, phone or customer number",
             _customer_search)
    p.add_argument("query")
    p.add_argument("--limit", type=LIMIT, default=20)
    p = _cmd(customer, "show", "a customer with accounts, holds, recent transfers and open alerts", _customer_show)
    p.add_argument("customer", help="customer number (nine digits) or id")

    p = _cmd(sub, "statement", "an account's entries with the running balance (newest first)", _statement)
    p.add_argument("account")
    p.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (local time)")
    p.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--min", dest="min_amount", help="smallest amount (size of the entry)")
    p.add_argument("--max", dest="max_amount", help="largest amount")
    p.add_argument("--sort", default="newest", choices=["newest", "oldest", "largest", "smallest"])
    p.add_argument("--limit", type=LIMIT, default=50, help="lines printed (default 50; exports have no limit)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", type=file_path, metavar="FILE", help="write every line of the period to a CSV file")
    out.add_argument("--pdf", type=file_path, metavar="FILE", help="write the PDF statement of the period")

    hold = sub.add_parser("hold", help="account holds").add_subparsers(dest="hold_command", required=True)
    p = _cmd(hold, "place", "block an amount on a customer's account until a date", _hold_place)
    p.add_argument("account")
    p.add_argument("--amount", required=True)
    p.add_argument("--reason", required=True, help="legal, fraud, cheque, compliance, customer or other")
    until = p.add_mutually_exclusive_group(required=True)
    until.add_argument("--until", help="last day of the hold, YYYY-MM-DD (it releases itself after that day)")
    until.add_argument("--days", type=whole(1, 3_650, "a number of days"), help="days the hold lasts")
    p.add_argument("--note", default="")
    p.add_argument("--id", help="your hold id (idempotency key)")
    from app.commands.ledger import _mover

    _mover(p)  # blocking a customer's money: a named teller (--as) or --system
    p = _cmd(hold, "release", "release a hold before its expiry (a named supervisor)", _hold_release)
    p.add_argument("hold", type=ID, help="hold number (from hold list)")
    p.add_argument("--note", default="")
    p.add_argument("--as", dest="as_user", metavar="USER", required=True,
                   help="the supervisor making this decision (required: the system operator never decides)")
    p = _cmd(hold, "list", "holds on an account", _hold_list)
    p.add_argument("account")
    p.add_argument("--all", action="store_true", help="also released and expired holds")


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        from app.commands.args import UsageError

        shown = value if len(value) <= 24 else value[:24] + "…"
        raise UsageError(None, f"{flag} {shown!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31") from None


def _customer_add(args, ctx) -> int:  # noqa: ANN001
    kyc = (args.dob, args.phone, args.address, args.id_type, args.id_number)
    if any(kyc):
        from core.teller.customers import NewCustomer

        rec = _teller(ctx).add_customer(SYSTEM_ACTOR, NewCustomer(
            name=args.name, date_of_birth=args.dob, phone=args.phone or "", address=args.address or "",
            id_type=args.id_type or "", id_number=args.id_number or "", country=args.country))
        data = rec.to_dict()
    else:  # a name-only record (imports): the system operator only; the desk always records every field
        from core.teller.customers import check_name

        c = ctx.services.ledger.add_customer(SYSTEM_ACTOR, check_name(args.name), args.country)
        from core.teller.identifiers import customer_number

        data = {"id": c.id, "number": customer_number(c.id), "name": c.name, "country": c.country,
                "kyc_missing": ["date_of_birth", "phone", "address", "id_number"]}
    note = f" (KYC missing: {', '.join(data['kyc_missing'])})" if data["kyc_missing"] else ""
    ctx.emit(data, as_json=args.json, text=f"customer {data['number']}: {data['name']}{note}")
    return 0


def _customer_search(args, ctx) -> int:  # noqa: ANN001
    from core.teller.search import clean_text, no_match_words

    if len(clean_text(args.query)) < 2:  # nothing to look for: say what to type (exit 2, like a missing argument)
        from app.commands.args import UsageError

        raise UsageError(None, no_match_words(args.query))
    hits = _teller(ctx).search(SYSTEM_ACTOR, args.query, limit=args.limit)
    text = "\n".join(f"{h.customer_number or '-':<10} {h.name:<32} {h.account or '':<11} "
                     f"{'exact ' if h.exact else ''}{h.matched} ({h.score:.2f})" for h in hits) or no_match_words(args.query)
    ctx.emit([h.to_dict() for h in hits], as_json=args.json, text=text)
    return 0


def _customer_show(args, ctx) -> int:  # noqa: ANN001
    from core.teller.identifiers import customer_id

    raw = args.customer.strip()
    cid = customer_id(raw) if len(raw.replace(" ", "")) >= 9 else _int(raw, "customer")
    ov = _teller(ctx).customer(SYSTEM_ACTOR, cid)
    c = ov.customer
    from core.teller.display import banker_balance

    lines = [f"{c.number}  {c.name}  ({c.country})",
             f"born {c.date_of_birth or '-'} · phone {c.phone_display or '-'} · {c.id_type or 'ID'} {c.id_number or '-'}",
             f"address: {c.address or '-'}"]
    if c.missing:
        lines.append(f"KYC missing: {', '.join(c.missing)}")
    lines.append("accounts:")
    lines += [f"  {a.account.number} {a.account.currency} {a.account.status:<6} current "
              f"{banker_balance(a.account.current, a.account.currency, a.account.kind):>16} available "
              f"{money.format_minor(a.account.available, a.account.currency):>16}" for a in ov.accounts] or ["  none"]
    held = [h for a in ov.accounts for h in a.holds]
    lines.append(f"active holds: {len(held)}")
    lines += [f"  #{h.id} {money.format_minor(h.amount, h.currency)} on {h.account} ({h.reason_text}) until "
              f"{h.expires_at:%Y-%m-%d}" for h in held]
    lines.append(f"open fraud alerts: {len(ov.alerts)}")
    lines.append("recent transfers:")
    status = {"pending": "  [held: funds reserved, not posted]", "expired": "  [hold expired: released]"}
    lines += [f"  {r.at:%Y-%m-%d %H:%M} {r.account} {money.format_minor(r.amount, r.currency):>14} {r.description}"
              f"{status.get(r.state, '')}" for r in ov.recent[:10]] or ["  none"]
    ctx.emit(ov.to_dict(), as_json=args.json, text="\n".join(lines))
    return 0


def _int(value: str, what: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a {what} number") from None
    if not 0 < number < 2**63:
        raise ValidationError(f"{value!r} is not a {what} number")
    return number


def _filter(args, currency: str):  # noqa: ANN001, ANN202
    from core.teller.statement import StatementFilter

    def amount(value: str | None) -> int | None:
        return None if value is None else money.to_minor(value, currency)

    return StatementFilter(date_from=_day(args.date_from, "--from"), date_to=_day(args.date_to, "--to"),
                           min_amount=amount(args.min_amount), max_amount=amount(args.max_amount), sort=args.sort,
                           tz=datetime.now().astimezone().tzinfo).checked()


def _statement(args, ctx) -> int:  # noqa: ANN001
    teller = _teller(ctx)
    detail = teller.account(SYSTEM_ACTOR, args.account)
    acc = detail.account
    f = _filter(args, acc.currency)
    summary = teller.statement_summary(SYSTEM_ACTOR, acc.number, f)
    c = acc.currency
    head = {"account": acc.number, "currency": c, "period": f.period_text(), "entries": summary.entries,
            "opening": money.plain(summary.opening, c), "closing": money.plain(summary.closing, c)}
    if args.csv:
        written = teller.export_csv(SYSTEM_ACTOR, acc.number, f, args.csv)
        ctx.emit({**head, "csv": str(args.csv), "lines_written": written}, as_json=args.json,
                 text=f"wrote {counted(written, 'line')} of {acc.number} ({f.period_text()}) to {args.csv}")
        return 0
    if args.pdf:
        teller.statement_pdf(SYSTEM_ACTOR, acc.number, f).save(args.pdf)
        ctx.emit({**head, "pdf": str(args.pdf)}, as_json=args.json,
                 text=f"wrote the PDF statement of {acc.number} ({f.period_text()}) to {args.pdf}")
        return 0
    if not 1 <= args.limit <= 10_000:
        raise ValidationError("--limit must be between 1 and 10000; use --csv for every line")
    lines = teller.statement_page(SYSTEM_ACTOR, acc.number, f, 0, args.limit)
    data = {**head, "lines": [{"entry_id": ln.entry_id, "at": ln.at.isoformat(), "transfer_id": ln.transfer_id,
                               "code": ln.code, "description": ln.description, "amount": money.plain(ln.amount, c),
                               "balance_after": money.plain(ln.balance_after, c)} for ln in lines]}
    from core.teller.display import banker_balance

    def bal(minor: int) -> str:  # a bank (GL) account's balance by its side, as `qenex accounts` shows it
        return banker_balance(minor, c, acc.kind)

    text = [f"statement of {acc.number} ({c}), {f.period_text()}, {f.sort} first: opening "
            f"{bal(summary.opening)}, closing {bal(summary.closing)}"]
    text += [f"{ln.at.astimezone():%Y-%m-%d %H:%M}  {money.format_minor(ln.amount, c):>16}  "
             f"{bal(ln.balance_after):>19}  {ln.description or ln.code}" for ln in lines]
    if summary.entries > len(lines):
        text.append(f"showing {len(lines):,} of {counted(summary.entries, 'line')}; --limit N for more, "
                    "--csv FILE for all")
    ctx.emit(data, as_json=args.json, text="\n".join(text))
    return 0


def _hold_place(args, ctx) -> int:  # noqa: ANN001
    from app.commands.ledger import _money_actor

    teller, actor = _teller(ctx), _money_actor(ctx, args)
    acc = teller.account(SYSTEM_ACTOR, args.account).account
    if args.until:
        last = _day(args.until, "--until")
        expires = datetime.combine(last + timedelta(days=1), time(0)).astimezone()
    else:
        if args.days is None or not 1 <= args.days <= 366:
            raise ValidationError("--days must be between 1 and 366")
        expires = datetime.now().astimezone() + timedelta(days=args.days)
    amount = money.to_minor(args.amount, acc.currency)
    hold = teller.place_hold(actor, acc.number, amount, args.reason, expires, args.note,
                             hold_id=args.id)
    from core.teller.holds import describe

    ctx.emit(hold.to_dict(), as_json=args.json, text=f"hold #{hold.id}: {describe(hold)}")
    return 0


def _hold_release(args, ctx) -> int:  # noqa: ANN001
    from app.commands.alerts import actor_for

    hold = _teller(ctx).release_hold(actor_for(ctx, args.as_user), args.hold, args.note)
    ctx.emit(hold.to_dict(), as_json=args.json, text=f"hold #{hold.id} released")
    return 0


def _hold_list(args, ctx) -> int:  # noqa: ANN001
    from core.teller.holds import describe

    rows = _teller(ctx).holds(SYSTEM_ACTOR, args.account, include_ended=args.all)
    text = "\n".join(f"#{h.id:<5} {h.state:<8} {describe(h)}  placed by {h.placed_by}" for h in rows) or "no holds"
    ctx.emit([h.to_dict() for h in rows], as_json=args.json, text=text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through `qenex`")
