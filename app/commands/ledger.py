"""Ledger commands for operators and scripts: moving customer money needs --as USER (a sign-in) or --system."""
from __future__ import annotations

import argparse
import sys
import uuid

from core.words import counted
from app.commands.args import CUSTOMER, LIMIT, OFFSET, TIMEOUT
from typing import TYPE_CHECKING

from app.lazy import lazy
from core.errors import ValidationError
from core.security.roles import SYSTEM_ACTOR, Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger

money = lazy("core.ledger.money")
outcome = lazy("core.ledger.outcome")


def _ledger(ctx) -> Ledger:  # noqa: ANN001
    return ctx.ledger


def _as(p: argparse.ArgumentParser, person: str | None = None) -> None:
    """``--as USER``: required for a decision only a named ``person`` makes (core.security.roles.HUMAN_ONLY)."""
    p.add_argument("--as", dest="as_user", metavar="USER", required=person is not None, help=(
        f"the {person} making this decision (required: the system operator never decides)" if person else
        "act as this user (needed to release or collect an account hold before it expires; default: the system "
        "operator)"))


def _as_opener(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="as_user", metavar="USER", help=(
        "the teller or supervisor doing this: an overdraft above their limit (QENEX_OVERDRAFT_LIMITS) waits for a "
        "supervisor's approval (default: the system operator, not checked)"))
    p.add_argument("--note", default="", help="why this overdraft (shown to the supervisor who approves it)")


def _mover(p: argparse.ArgumentParser) -> None:
    """``--as USER`` (required) for a command that moves customer money, or ``--system`` for the operator's
    documented batch and import path (QA: a transfer without --as moved $15,000.00 past every four-eyes limit)."""
    p.add_argument("--as", dest="as_user", metavar="USER", help=(
        "the teller or supervisor moving the money (a sign-in: their password, and code once enrolled); their "
        "limits and four eyes apply, as at the console. Required unless --system"))
    p.add_argument("--system", action="store_true", help=(
        "act as the system operator instead: imports and batch jobs only (no four-eyes limits; audited as "
        "'system')"))


def _money_actor(ctx, args) -> Actor:  # noqa: ANN001
    """The named person moving customer money, or the system operator when ``--system`` says so."""
    from app.commands.args import UsageError

    if getattr(args, "system", False):
        if getattr(args, "as_user", None):
            raise UsageError(None, "give --as USER or --system, not both")
        return SYSTEM_ACTOR
    if not getattr(args, "as_user", None):
        raise UsageError(None, "moving customer money needs a named person: add --as USER (your sign-in; your limits "
                               "and four eyes apply, as at the console); an import or batch job says --system. "
                               "Nothing was moved")
    return _actor(ctx, args)


def _actor(ctx, args) -> Actor:  # noqa: ANN001
    if not getattr(args, "as_user", None):
        return SYSTEM_ACTOR
    from app.commands.alerts import actor_for

    return actor_for(ctx, args.as_user)


def register(sub: argparse._SubParsersAction) -> None:
    def cmd(parent, name: str, help: str, handler):  # noqa: ANN001, ANN202, A002
        p = parent.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    account = sub.add_parser("account", help="accounts").add_subparsers(dest="account_command", required=True)
    p = cmd(account, "open", "open a deposit account for a customer", _account_open)
    p.add_argument("--customer", type=CUSTOMER, required=True, metavar="NUMBER",
                   help="the customer number (e.g. 700000125; the internal id works too)")
    p.add_argument("--currency", required=True, help="ISO 4217 code, e.g. USD")
    p.add_argument("--overdraft", default="0", help="overdraft limit as an amount, e.g. 500.00 (default 0); with --as, "
                   "above that person's overdraft limit the account opens without one and a supervisor is asked")
    _as_opener(p)
    p = cmd(account, "overdraft", "set a deposit account's overdraft limit (above your limit: a supervisor approves)",
            _account_overdraft)
    p.add_argument("account")
    p.add_argument("amount", help="the new overdraft limit, e.g. 500.00 (0: none)")
    _as_opener(p)
    p = cmd(account, "status", "freeze, unfreeze or close an account (a named supervisor)", _account_status)
    p.add_argument("account")
    p.add_argument("status", choices=["open", "frozen", "closed"])
    _as(p, "supervisor")

    p = cmd(sub, "transfer", "move money between two accounts (or: transfer post|void|correct ID)", _transfer)
    p.add_argument("--from", dest="debit", help="account to pay from")
    p.add_argument("--to", dest="credit", help="account to pay into")
    p.add_argument("--amount", help="amount in the plain form, e.g. 1234.50 (at most the currency's decimals)")
    p.add_argument("--currency", help="ISO 4217 code (default: the --from account's currency, as the console)")
    p.add_argument("--id", help="your transfer id (idempotency key); generated when omitted")
    p.add_argument("--pending", action="store_true", help="reserve funds now, post or void later")
    p.add_argument("--timeout", type=TIMEOUT, help="seconds before a pending transfer expires (at most 30 days)")
    p.add_argument("--description", default="", help="what the statements of both accounts say")
    _mover(p)
    out = p.add_argument_group("to another bank (a payment order: SEPA, ACH or wire)")
    out.add_argument("--to-iban", help="SEPA: the beneficiary's IBAN (EUR)")
    out.add_argument("--bic", help="the beneficiary bank's BIC (SEPA, wire)")
    out.add_argument("--routing", help="ACH: the receiving bank's ABA routing number (USD)")
    out.add_argument("--to-account", help="ACH or wire: the beneficiary's account number")
    out.add_argument("--wire", action="store_true", help="send as a wire (with --bic and --to-account or --to-iban)")
    out.add_argument("--beneficiary", help="the beneficiary's name")
    out.add_argument("--reference", default="", help="the payment reference the beneficiary sees")
    actions = p.add_subparsers(dest="transfer_action")
    q = cmd(actions, "post", "post a pending transfer (in full, or --amount in part)", _transfer_post)
    q.add_argument("pending_id")
    q.add_argument("--amount", dest="post_amount", help="post only this much; the rest is released")
    _mover(q)
    q = cmd(actions, "void", "void a pending transfer, releasing its funds", _transfer_void)
    q.add_argument("pending_id")
    _mover(q)
    q = cmd(actions, "correct", "undo a posted transfer with a correcting transfer (a named supervisor)",
            _transfer_correct)
    q.add_argument("transfer_id")
    _as(q, "supervisor")
    cmd(actions, "expire", "release pending transfers whose timeout has passed", _transfer_expire)

    for name, fn in (("deposit", _deposit), ("withdraw", _withdraw)):
        p = cmd(sub, name, f"cash {name} at the desk (through the bank's cash GL account)", fn)
        p.add_argument("--account", required=True, help="the customer's account number")
        p.add_argument("--amount", required=True, help="amount in the plain form, e.g. 1234.50")
        p.add_argument("--currency", help="ISO 4217 code (default: the account's currency)")
        p.add_argument("--id", help="your transfer id (idempotency key)")
        _mover(p)

    p = cmd(sub, "balance", "current and available balance of an account", _balance)
    p.add_argument("account")
    p = cmd(sub, "accounts", "list accounts", _accounts)
    p.add_argument("--customer", type=CUSTOMER, metavar="NUMBER",
                   help="only this customer's accounts: the customer number (e.g. 700000125; the internal id works too)")
    p.add_argument("--limit", type=LIMIT, default=100, help="at most this many accounts (1-10000, default 100)")
    p.add_argument("--offset", type=OFFSET, default=0, help="skip this many accounts first (the next page; default 0)")

    ledger = sub.add_parser("ledger", help="ledger maintenance").add_subparsers(dest="ledger_command", required=True)
    cmd(ledger, "verify", "check that balances replay from entries and the books balance", _verify)


def _account_open(args, ctx) -> int:  # noqa: ANN001
    cur = money.currency(args.currency)
    overdraft = money.to_minor(args.overdraft, cur, allow_zero=True)
    acc = _ledger(ctx).open_account(_actor(ctx, args), args.customer, cur, overdraft=overdraft, note=args.note)
    from core.teller.identifiers import customer_number

    text = f"opened {acc.number} ({acc.currency}) for customer {customer_number(args.customer)}"
    ctx.emit(acc.to_dict(), as_json=args.json, text=text + _overdraft_asked(acc))
    return 0


def _account_overdraft(args, ctx) -> int:  # noqa: ANN001
    ledger = _ledger(ctx)
    actor = _actor(ctx, args)
    current = ledger.balance(actor, args.account)
    amount = money.to_minor(args.amount, current.currency, allow_zero=True)
    acc = ledger.set_overdraft(actor, args.account, amount, note=args.note)
    asked = _overdraft_asked(acc)
    text = (f"account {acc.number}: overdraft limit {money.format_minor(acc.overdraft_limit or 0, acc.currency)}" + asked)
    ctx.emit(acc.to_dict(), as_json=args.json, text=text)
    return 0


def _overdraft_asked(acc) -> str:  # noqa: ANN001
    from core.approvals.overdraft import waiting

    text = waiting(acc)
    return (f"; {text}. It is above your limit: a supervisor approves it with qenex approvals approve "
            f"{acc.overdraft_request} --as SUPERVISOR") if text else ""


def _account_status(args, ctx) -> int:  # noqa: ANN001
    acc = _ledger(ctx).set_status(_actor(ctx, args), args.account, args.status)
    ctx.emit(acc.to_dict(), as_json=args.json, text=f"account {acc.number} is now {acc.status}")
    return 0


def _emit_transfer(ctx, args, result) -> int:  # noqa: ANN001
    ctx.emit(result.to_dict(), as_json=args.json, text=outcome.describe(result))
    return 0


def _transfer(args, ctx) -> int:  # noqa: ANN001
    from app.commands import payments
    from core.ledger.views import TransferRequest

    if payments.outgoing_requested(args):
        return payments.transfer_out(args, ctx)
    missing = [f"--{n}" for n, v in (("from", args.debit), ("to", args.credit), ("amount", args.amount)) if not v]
    if missing:
        from app.commands.args import UsageError

        raise UsageError(None, f"the following arguments are required: {', '.join(missing)} (or a "
                                           "sub-command: post, void, correct, expire)")
    actor = _money_actor(ctx, args)
    cur = _currency(ctx, args.currency, args.debit)
    req = TransferRequest(id=args.id or uuid.uuid4().hex, debit=args.debit, credit=args.credit,
                          amount=money.to_minor(args.amount, cur), currency=cur, pending=args.pending,
                          timeout_seconds=args.timeout, description=args.description, channel="cli")
    return _emit_transfer(ctx, args, _ledger(ctx).transfer(actor, req))


def _transfer_post(args, ctx) -> int:  # noqa: ANN001
    ledger = _ledger(ctx)
    actor = _money_actor(ctx, args)  # before any lookup: nothing runs unnamed
    amount = None
    if args.post_amount is not None:
        amount = money.to_minor(args.post_amount, ledger.transfer_row(SYSTEM_ACTOR, args.pending_id)["currency"])
    return _emit_transfer(ctx, args, ledger.post_pending(actor, args.pending_id, amount))


def _transfer_void(args, ctx) -> int:  # noqa: ANN001
    return _emit_transfer(ctx, args, _ledger(ctx).void_pending(_money_actor(ctx, args), args.pending_id))


def _transfer_correct(args, ctx) -> int:  # noqa: ANN001
    return _emit_transfer(ctx, args, _ledger(ctx).correct(_actor(ctx, args), args.transfer_id))


def _transfer_expire(args, ctx) -> int:  # noqa: ANN001
    n = _ledger(ctx).expire_pending(SYSTEM_ACTOR)
    ctx.emit({"expired": n}, as_json=args.json, text=f"{counted(n, 'pending transfer')} expired")
    return 0


def _currency(ctx, given: str | None, account: str) -> str:  # noqa: ANN001
    """``--currency`` as given, else the account's own currency (as the console does)."""
    if given:
        return money.currency(given)
    return _ledger(ctx).balance(SYSTEM_ACTOR, account).currency


def _cash(args, ctx, fn_name: str) -> int:  # noqa: ANN001
    cur = _currency(ctx, args.currency, args.account)
    fn = getattr(_ledger(ctx), fn_name)
    actor = _money_actor(ctx, args)
    return _emit_transfer(ctx, args, fn(actor, args.account, money.to_minor(args.amount, cur), cur, id=args.id))


def _deposit(args, ctx) -> int:  # noqa: ANN001
    return _cash(args, ctx, "deposit")


def _withdraw(args, ctx) -> int:  # noqa: ANN001
    return _cash(args, ctx, "withdraw")


def _balance(args, ctx) -> int:  # noqa: ANN001
    from datetime import datetime, timezone

    from core.ledger import quick_read

    # the driver's own read when the database needs nothing else (core.ledger.quick_read: no SQLAlchemy to
    # import); else the ledger, which migrates, checks and words every error
    bal = quick_read.balance(ctx.settings.database_url, args.account, datetime.now(timezone.utc))
    if bal is None:
        bal = _ledger(ctx).balance(SYSTEM_ACTOR, args.account)
    d = bal.to_dict()
    c = bal.currency
    ctx.emit(d, as_json=args.json, text=f"{bal.account}  current {money.format_minor(bal.current, c)}  "
                                         f"available {money.format_minor(bal.available, c)}")
    return 0


def _accounts(args, ctx) -> int:  # noqa: ANN001
    from core.errors import ValidationError
    from core.teller.display import banker_balance

    if not 1 <= args.limit <= 10_000 or args.offset < 0:
        raise ValidationError("--limit must be between 1 and 10000 and --offset zero or more")
    ledger = _ledger(ctx)
    rows = ledger.accounts(SYSTEM_ACTOR, offset=args.offset, limit=args.limit, customer_id=args.customer)
    total = ledger.count_accounts(SYSTEM_ACTOR, customer_id=args.customer)
    if args.customer is not None and not total:
        from sqlalchemy import select

        from core.errors import NotFound
        from core.persistence.models import Customer
        from core.teller.identifiers import customer_number

        with ledger.engine.connect() as conn:
            known = conn.execute(select(Customer.id).where(Customer.id == args.customer)).first()
        if known is None:
            raise NotFound(f"no customer {customer_number(args.customer)}; find the number with qenex customer search "
                           "NAME")
    text = "\n".join(f"{a.number}  {a.kind:<11} {a.currency}  {a.status:<6} "
                     f"{banker_balance(a.current, a.currency, a.kind):>20}  {a.name}" for a in rows) or "no accounts"
    ctx.emit([a.to_dict() for a in rows], as_json=args.json, text=text)
    if args.offset + len(rows) < total:  # say that the list goes on (stderr: the JSON on stdout stays one document)
        print(f"qenex: showing accounts {args.offset + 1:,}-{args.offset + len(rows):,} of {total:,} (customer "
              f"accounts first); next page: --offset {args.offset + len(rows)}", file=sys.stderr)
    return 0


def _verify(args, ctx) -> int:  # noqa: ANN001
    from core.ledger.verify import verify

    report = verify(ctx.engine)
    data = {"ok": report.ok, "accounts": report.accounts, "transfers": report.transfers, "entries": report.entries,
            "problems": report.problems}
    text = (f"ledger intact: {counted(report.accounts, 'account')}, {counted(report.transfers, 'transfer')}, "
             f"{counted(report.entries, 'entry', 'entries')}"
            if report.ok else "LEDGER PROBLEMS:\n" + "\n".join(f"- {p}" for p in report.problems))
    ctx.emit(data, as_json=args.json, text=text)
    return 0 if report.ok else 3
