"""``qenex fraud``: train the fraud model, backtest on handbook files, label transfers, list the model registry."""
from __future__ import annotations

import argparse

from app.commands.args import DAYS, file_path, whole
from core.security.roles import SYSTEM_ACTOR

DELAY = whole(0, 365, "a label delay in days")


def register(sub: argparse._SubParsersAction) -> None:
    fraud = sub.add_parser("fraud", help="fraud models").add_subparsers(dest="fraud_command", required=True)

    p = fraud.add_parser("train", help="train on the configured database's labelled history and activate the model")
    p.add_argument("--delay-days", type=DELAY, default=7, help="label delay in days, 0-365 (default 7)")
    p.add_argument("--models", default="hgb,logistic",
                   help="candidate classifiers, picked by validation on the latest weeks (hgb,rf,logistic)")
    p.add_argument("--no-activate", action="store_true", help="register the model without making it active")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_train)

    p = fraud.add_parser("backtest", help="train on labelled history, stream test transactions, write scores")
    p.add_argument("--history", type=file_path, required=True, help="labelled CSV[.gz] with the handbook's columns")
    p.add_argument("--test", type=file_path, required=True, help="CSV[.gz] of later transactions (TX_FRAUD is ignored)")
    p.add_argument("--out", type=file_path, required=True, help="where to write TRANSACTION_ID,SCORE")
    p.add_argument("--delay-days", type=DELAY, default=7, help="label delay in days, 0-365 (default 7)")
    p.add_argument("--train-days", type=DAYS, default=28,
                   help="fit on the latest N days of history (default 28; 0 = all of it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_backtest)

    p = fraud.add_parser("label", help="record a chargeback or confirmation: the customer payment TRANSFER_ID is "
                                       "fraud or genuine (a named analyst or supervisor; audited)")
    p.add_argument("transfer_id", metavar="TRANSFER_ID")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--fraud", dest="is_fraud", action="store_true", default=None, help="confirmed fraud (chargeback)")
    which.add_argument("--genuine", dest="is_fraud", action="store_false", help="confirmed genuine")
    p.add_argument("--as", dest="as_user", metavar="USER", required=True,
                   help="the analyst or supervisor making this decision (required: the system operator never labels)")
    p.add_argument("--reason", default="", help="why (required when it changes an existing label)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_label)

    p = fraud.add_parser("models", help="list the model registry")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_models)


def _train(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    from core.fraud.dbtrain import train_from_database

    info = train_from_database(ctx.engine, actor=SYSTEM_ACTOR, label_delay_days=args.delay_days,
                               candidates=tuple(m.strip() for m in args.models.split(",") if m.strip()),
                               activate=not args.no_activate)
    data = _info(info)
    ctx.emit(data, as_json=args.json, text=f"trained fraud model {info.label} ({info.kind}), "
             f"{'active' if info.active else 'inactive'}; metrics: {info.metrics}")
    return 0


def _backtest(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    from core.fraud.backtest import run

    summary = run(args.history, args.test, args.out, delay_days=args.delay_days,
                  train_days=args.train_days or None)
    ctx.emit({**summary, "out": str(args.out)}, as_json=args.json,
             text=f"scored {summary['test']:,} test transactions into {args.out} "
                  f"(model {summary['model']} fit on {summary['trained_on']:,} of {summary['history']:,} history rows)")
    return 0


def _label(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    from app.commands.alerts import actor_for
    from core.ai.chargebacks import label

    services = ctx.services
    done = label(services.engine, services.audit, actor_for(ctx, args.as_user), args.transfer_id, args.is_fraud,
                 args.reason)
    kind = "fraud" if done.is_fraud else "genuine"
    was = "" if done.previous is None else f" (was {'fraud' if done.previous else 'genuine'})"
    ctx.emit(done.to_dict(), as_json=args.json, text=f"labelled {done.transfer_id} as {kind}{was}; the next retrain "
                                                     "learns from it (qenex ai retrain)")
    return 0


def _models(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    from core.fraud.registry import list_models

    with ctx.engine.connect() as conn:
        infos = list_models(conn)
    lines = [f"{'version':8} {'kind':13} {'active':6} {'trained on':25} {'created':17} metrics"]
    for i in infos:
        period = f"{i.trained_from:%Y-%m-%d}..{i.trained_to:%Y-%m-%d}"
        lines.append(f"{i.label:8} {i.kind:13} {'yes' if i.active else '':6} {period:25} "
                     f"{i.created_at:%Y-%m-%d %H:%M} {i.metrics}")
    if not infos:
        lines = ["no fraud models yet (run: qenex fraud train)"]
    ctx.emit([_info(i) for i in infos], as_json=args.json, text="\n".join(lines))
    return 0


def _info(info) -> dict:  # noqa: ANN001
    return {"version": info.label, "kind": info.kind, "active": info.active, "trained_from": info.trained_from,
            "trained_to": info.trained_to, "label_delay_days": info.label_delay_days,
            "created_at": info.created_at, "created_by": info.created_by, "metrics": info.metrics}
