"""Card payments, rail files and the card vault on the command line; they act as the system operator.

The card number and security code are never taken from the command line's arguments (shell history
and the process list would keep them): ``payments create`` asks for them (hidden), or reads them as the
first two lines of standard input when it is not a terminal.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import uuid

from core.words import counted
from app.commands.args import LIMIT, whole
from app.lazy import lazy
from core.errors import ValidationError
from core.payments import return_codes
from core.security.roles import SYSTEM_ACTOR

money = lazy("core.ledger.money")
cards = lazy("core.payments.cards")
rail_files = lazy("core.payments.rail_files")
views = lazy("core.payments.views")


def _mover(p: argparse.ArgumentParser) -> None:
    from app.commands.ledger import _mover as mover

    mover(p)


def _money_actor(ctx, args):  # noqa: ANN001, ANN202
    """A named person (--as USER), or the system operator when --system says so (``app.commands.ledger``)."""
    from app.commands.ledger import _money_actor as money_actor

    return money_actor(ctx, args)


def register(sub: argparse._SubParsersAction) -> None:
    def cmd(parent, name: str, help: str, handler):  # noqa: ANN001, ANN202, A002
        p = parent.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    pay = sub.add_parser("payments", help="card payments through the payment provider (Stripe)",
                         description="Card payments through the payment provider (Stripe).", epilog=DEMO_POINTER,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    pay = pay.add_subparsers(dest="payments_command", required=True)
    p = cmd(pay, "create", "take a card payment into a customer's account (asks for the card number and CVC)",
            _create)
    p.add_argument("--account", required=True, help="the customer's account the money goes into")
    p.add_argument("--amount", required=True, help="e.g. 25.00")
    p.add_argument("--currency", required=True, help="ISO 4217 code; must be the account's")
    p.add_argument("--expiry", required=True, help="the card's expiry, MM/YY")
    p.add_argument("--capture", choices=["automatic", "manual"], default="automatic",
                   help="capture right after authorization (default) or later with 'payments capture'")
    p.add_argument("--description", default="")
    p.add_argument("--id", help="your payment id (idempotency key); generated when omitted")
    _mover(p)
    p = cmd(pay, "confirm", "continue a payment after 3-D Secure", _confirm)
    p.add_argument("payment")
    p.add_argument("--authenticate", choices=["approve", "fail"],
                   help="test providers only: answer the 3-D Secure challenge as the cardholder")
    p = cmd(pay, "capture", "capture an authorized payment, in full or --amount in part", _capture)
    p.add_argument("payment")
    p.add_argument("--amount")
    _mover(p)  # a payment the fraud screen held for review: an analyst or supervisor, not the one who took it
    p = cmd(pay, "refund", "refund a captured payment, in full or --amount in part", _refund)
    p.add_argument("payment")
    p.add_argument("--amount")
    p.add_argument("--id", help="your refund id (idempotency key): repeat it to retry safely")
    _mover(p)
    p = cmd(pay, "cancel", "release an authorization that was not captured", _cancel)
    p.add_argument("payment")
    _mover(p)  # a payment the fraud screen held for review: an analyst or supervisor, not the one who took it
    p = cmd(pay, "show", "a payment with its event history", _show)
    p.add_argument("payment")
    p = cmd(pay, "sync", "read the provider's state of a payment and apply it (reconciliation)", _sync)
    p.add_argument("payment")
    p = cmd(pay, "listen", "receive the provider's webhooks over HTTP (verified; Ctrl+C stops)", _listen)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=whole(1, 65_535, "a TCP port"), required=True,
                   help="the TCP port to listen on (required, no default; e.g. 8765)")
    p = cmd(pay, "list", "payments, newest first", _list)
    p.add_argument("--status")
    p.add_argument("--account")
    p.add_argument("--search", help="text in the id, card (first six/last four) or description")
    p.add_argument("--limit", type=LIMIT, default=50)

    rails = sub.add_parser("rails", help="payment orders on the SEPA, ACH and wire rails")
    rails = rails.add_subparsers(dest="rails_command", required=True)
    p = cmd(rails, "export", "write the rail's file of waiting orders and mark them submitted", _export)
    p.add_argument("--rail", required=True, choices=["sepa", "ach", "wire"])
    p.add_argument("--out", required=True, help="the file to write")
    p = cmd(rails, "settle", "the rail confirmed an order: clearing -> nostro", _settle)
    p.add_argument("order")
    p = cmd(rails, "return", "the rail returned an order: the customer is credited back", _return)
    p.add_argument("order")
    p.add_argument("--reason", required=True, help="the rail's return code, words may follow: ACH takes NACHA codes ("
                   + ", ".join(return_codes.NACHA) + "); SEPA ISO 20022 reasons (" + ", ".join(return_codes.SEPA)
                   + "); wire the SWIFT return reasons (" + ", ".join(return_codes.WIRE) + ")")
    p = cmd(rails, "cancel", "stop an order not yet sent: its money and its fee go back to the customer", _cancel_order)
    p.add_argument("order")
    p.add_argument("--reason", required=True, help="why, e.g. the customer called it off")
    _mover(p)
    p = cmd(rails, "list", "payment orders, newest first", _orders)
    p.add_argument("--rail", choices=["sepa", "ach", "wire"])
    p.add_argument("--status", choices=["created", "submitted", "settled", "returned", "canceled"])
    p.add_argument("--limit", type=LIMIT, default=50)
    p = cmd(rails, "show", "one payment order", _order_show)
    p.add_argument("order")

    vault = sub.add_parser("vault", help="the card vault").add_subparsers(dest="vault_command", required=True)
    cmd(vault, "rotate", "add a vault key version and re-encrypt every card under it", _rotate)
    p = cmd(vault, "reveal", "show a vaulted card's full number to a named supervisor (audited with the reason)",
            _reveal)
    p.add_argument("token")
    p.add_argument("--as", dest="as_user", metavar="USER", required=True,
                   help="the supervisor who needs the number (the audit trail names them)")
    p.add_argument("--reason", required=True, help="why, e.g. a ticket number (at least 10 characters)")


DEMO_POINTER = """Try it on the demo bank:
  qenex demo seed                                  # customers and funded accounts (an empty database)
  python scripts/localstripe_loopback.py 8420 &    # Stripe's API as a test double, on 127.0.0.1 only
  export QENEX_STRIPE_API_KEY=sk_test_demo QENEX_STRIPE_API_BASE=http://127.0.0.1:8420
  qenex payments create --account ACCOUNT --amount 25.00 --currency USD --expiry 12/30
README.md, section Payments, has the whole walk-through."""


def _secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def _minor(amount: str | None, currency: str) -> int | None:
    return None if amount is None else money.to_minor(amount, currency)


def _emit_payment(ctx, args, view) -> int:  # noqa: ANN001
    d = view.to_dict()
    note = (" (this payment id was used before: its earlier result is shown; nothing was charged again)"
            if view.replayed else "")
    m = lambda minor: money.format_minor(minor, view.currency)  # noqa: E731
    text = (f"payment {view.id}: {view.state_words}{note}\n  {m(view.amount)} into {view.account} "
            f"from {view.card}; captured {m(view.captured)}, refunded {m(view.refunded)}")
    if view.message:
        text += f"\n  {view.message}"
    if view.events:
        text += "\n" + "\n".join(f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<18} {e.status:<16} {e.source:<9} {e.detail}"
                                 for e in view.events)
    ctx.emit(d, as_json=args.json, text=text)
    return 0


def _create(args, ctx) -> int:  # noqa: ANN001
    actor = _money_actor(ctx, args)  # before the card number is asked for
    cur = money.currency(args.currency)
    amount = money.to_minor(args.amount, cur)
    month, year = cards.parse_expiry(args.expiry)
    number = _secret("Card number: ")
    cvc = _secret("Security code (CVC): ")
    card, _brand = cards.parse_card(number, month, year, cvc)
    req = views.PaymentRequest(id=args.id or f"pay_{uuid.uuid4().hex[:24]}", account=args.account, amount=amount,
                         currency=cur, card=card, description=args.description, capture=args.capture)
    return _emit_payment(ctx, args, ctx.services.payments.create(actor, req))


def _confirm(args, ctx) -> int:  # noqa: ANN001
    auth = None if args.authenticate is None else args.authenticate == "approve"
    return _emit_payment(ctx, args, ctx.services.payments.confirm(SYSTEM_ACTOR, args.payment, authenticate=auth))


def _capture(args, ctx) -> int:  # noqa: ANN001
    svc, actor = ctx.services.payments, _money_actor(ctx, args)
    amount = _minor(args.amount, svc.show(SYSTEM_ACTOR, args.payment).currency)
    return _emit_payment(ctx, args, svc.capture(actor, args.payment, amount))


def _refund(args, ctx) -> int:  # noqa: ANN001
    svc = ctx.services.payments
    amount = _minor(args.amount, svc.show(SYSTEM_ACTOR, args.payment).currency)
    return _emit_payment(ctx, args, svc.refund(_money_actor(ctx, args), args.payment, amount, args.id))


def _cancel(args, ctx) -> int:  # noqa: ANN001
    return _emit_payment(ctx, args, ctx.services.payments.cancel(_money_actor(ctx, args), args.payment))


def _show(args, ctx) -> int:  # noqa: ANN001
    return _emit_payment(ctx, args, ctx.services.payments.show(SYSTEM_ACTOR, args.payment))


def _sync(args, ctx) -> int:  # noqa: ANN001
    return _emit_payment(ctx, args, ctx.services.payments.reconcile(SYSTEM_ACTOR, args.payment))


def _listen(args, ctx) -> int:  # noqa: ANN001
    from app.webhooks import make_server

    try:
        server = make_server(ctx.services.payments, args.host, args.port)
    except OSError as err:
        raise ValidationError(f"cannot listen on {args.host}:{args.port}: {err.strerror}") from None
    print(f"listening for webhooks on http://{args.host}:{server.server_address[1]}/ (Ctrl+C stops)", flush=True)
    try:
        with ctx.sealing():  # webhooks append to the audit trail for as long as this runs
            server.serve_forever()
    finally:
        server.server_close()
    return 0


def _list(args, ctx) -> int:  # noqa: ANN001
    rows = ctx.services.payments.list(SYSTEM_ACTOR, status=args.status, account=args.account, search=args.search,
                                      limit=args.limit)
    text = "\n".join(f"{p.id}  {p.created_at:%Y-%m-%d %H:%M}  {p.state_words:<22} "
                     f"{money.format_minor(p.amount, p.currency):>14}  captured "
                     f"{money.format_minor(p.captured, p.currency):>12}  {p.account}  {p.card}" for p in rows) or (
        "no payments" if args.status or args.account or args.search else
        "no payments yet: take one with 'qenex payments create' (see 'qenex payments --help' for the demo bank)")
    ctx.emit([p.to_dict() for p in rows], as_json=args.json, text=text)
    return 0


def _emit_order(ctx, args, order) -> int:  # noqa: ANN001
    d = order.to_dict()
    fee = f" + fee {money.format_minor(order.fee, order.currency)} ({order.fee_status})" if order.fee else ""
    why = f" ({order.return_reason})" if order.status == "returned" and order.return_reason else ""
    text = (f"order {order.id} ({order.rail}): {order.status}{why}; "
            f"{money.format_minor(order.amount, order.currency)}{fee} from {order.account} "
            f"to {order.beneficiary}; funds {order.funds}")
    if order.return_reason and order.status != "returned":
        text += f"; why: {order.return_reason}"
    ctx.emit(d, as_json=args.json, text=text)
    return 0


def _export(args, ctx) -> int:  # noqa: ANN001
    result = rail_files.export(ctx.services.orders, SYSTEM_ACTOR, args.rail, args.out, ctx.services.rails)
    d = result.to_dict()
    ctx.emit(d, as_json=args.json, text=f"wrote {counted(result.orders, args.rail.upper() + ' order')}, {d['total']} "
                                         f"{result.currency}, to {result.path} (batch {result.batch_id})")
    return 0


def _settle(args, ctx) -> int:  # noqa: ANN001
    return _emit_order(ctx, args, ctx.services.orders.settle(SYSTEM_ACTOR, args.order))


def _return(args, ctx) -> int:  # noqa: ANN001
    return _emit_order(ctx, args, ctx.services.orders.return_order(SYSTEM_ACTOR, args.order, args.reason))


def _cancel_order(args, ctx) -> int:  # noqa: ANN001
    return _emit_order(ctx, args, ctx.services.orders.cancel(_money_actor(ctx, args), args.order, args.reason))


def _order_show(args, ctx) -> int:  # noqa: ANN001
    return _emit_order(ctx, args, ctx.services.orders.show(SYSTEM_ACTOR, args.order))


def _orders(args, ctx) -> int:  # noqa: ANN001
    rows = ctx.services.orders.list(SYSTEM_ACTOR, rail=args.rail, status=args.status, limit=args.limit)
    text = "\n".join(f"{o.id}  {o.rail:<4} {o.status:<9} {money.format_minor(o.amount, o.currency):>14}  "
                     f"{o.account} → {o.beneficiary}" for o in rows) or "no payment orders"
    ctx.emit([o.to_dict() for o in rows], as_json=args.json, text=text)
    return 0


def _rotate(args, ctx) -> int:  # noqa: ANN001
    result = ctx.services.payments.vault.rotate(SYSTEM_ACTOR)
    ctx.emit(result, as_json=args.json,
             text=f"vault key version {result['version']}; {counted(result['reencrypted'], 'card')} re-encrypted")
    return 0


def _reveal(args, ctx) -> int:  # noqa: ANN001
    from app.commands.alerts import actor_for

    number = ctx.services.payments.vault.reveal(actor_for(ctx, args.as_user), args.token, args.reason)
    ctx.emit({"token": args.token, "number": number}, as_json=args.json, text=number)
    return 0


def outgoing_requested(args) -> bool:  # noqa: ANN001
    """True when ``qenex transfer`` was given a beneficiary outside the bank."""
    return any(getattr(args, k, None) for k in ("to_iban", "routing", "bic", "to_account", "wire"))


def transfer_out(args, ctx) -> int:  # noqa: ANN001
    """``qenex transfer --from ACC --to-iban IBAN --bic BIC`` (SEPA), ``--routing ABA --to-account N`` (ACH),
    ``--wire --bic BIC --to-account N`` (wire): a payment order."""
    from core.payments import beneficiary
    from core.payments.orders import OrderRequest

    missing = [f"--{n}" for n, v in (("from", args.debit), ("amount", args.amount), ("currency", args.currency),
                                     ("beneficiary", args.beneficiary)) if not v]
    if missing:
        raise ValidationError(f"an outgoing transfer needs {', '.join(missing)}")
    if args.credit:
        raise ValidationError("--to names an account in this bank; an outgoing transfer uses --to-iban, "
                              "--routing/--to-account or --wire")
    rail = "wire" if args.wire else "ach" if args.routing else "sepa" if args.to_iban else "wire"
    cur = money.currency(args.currency)
    ben = beneficiary.check(rail, cur, name=args.beneficiary, iban=args.to_iban, bic=args.bic, routing=args.routing,
                            account_number=args.to_account, reference=args.reference)
    req = OrderRequest(id=args.id or f"ord_{uuid.uuid4().hex[:24]}", account=args.debit,
                       amount=money.to_minor(args.amount, cur), currency=cur, beneficiary=ben)
    return _emit_order(ctx, args, ctx.services.orders.create(_money_actor(ctx, args), req))
