"""Desk traffic on the demo bank: false-positive and detection rates per channel (not a test).

    nice .venv/bin/python benchmarks/desk_traffic.py [--customers 2000] [--days 60] [--test-days 14]
                                                     [--random 2000] [--json]

The demo bank's story (core.demo.plan, the seed ``qenex demo seed`` uses) is generated for the history
plus a test period. The model is trained as the demo trains its first model (core.fraud.dbtrain: the same
window, candidates and label delay) on the history only, then the test period streams through the online
features in time order. Printed per channel (desk, card, online):

  * false-positive rate: the share of normal (legitimate) payments the screen does not approve
    (held for review or declined), and the share it declines;
  * detection rate: the share of fraudulent payments it holds or declines;

and a load test: random desk transfers between two random demo customers (amounts uniform in
10.00..2,000.00 USD on the test days, half in opening hours and half at any hour of the day), each
scored against the state of its moment and not counted afterwards. Both with the per-channel scale (the engine) and with one scale for every
channel (the model before per-channel calibration), so the effect is visible. The demo's first model is
trained on the posted history in the database; here the plan's payments stand in for it (transfers the
ledger would refuse for funds are kept).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.demo.plan import build  # noqa: E402
from core.demo.traffic import payments  # noqa: E402
from core.fraud import backtest, features  # noqa: E402
from core.fraud.config import FraudConfig  # noqa: E402
from core.fraud.dbtrain import training_window  # noqa: E402
from core.fraud.decision import assess  # noqa: E402
from core.fraud.replay import memory_replay  # noqa: E402
from core.fraud.training import train  # noqa: E402
from core.fraud.txn import DAY, Txn  # noqa: E402

DELAY = 7
END = datetime(2026, 6, 8, tzinfo=timezone.utc)  # fixed, so every run tells the same story (rent day included)
CHANNELS = ("desk", "card", "online")
EXAMPLE = 1_000_00  # the reported case: 1,000.00 USD between two customers at the desk


def random_desk(rnd: random.Random, n: int, customers: int, start: datetime, days: int, *,
                any_hour: bool = False) -> list[Txn]:
    """``n`` random desk transfers between two customers, in opening hours (or at any hour: a demo desk is
    tried at the user's own time of day, which in UTC may be the middle of the night)."""
    out = []
    for k in range(n):
        day = start + timedelta(days=rnd.randrange(days))
        while day.weekday() == 6 and not any_hour:  # the branch is closed on Sundays
            day = start + timedelta(days=rnd.randrange(days))
        at = day + (timedelta(seconds=rnd.randrange(DAY)) if any_hour else
                    timedelta(seconds=rnd.randint(9 * 3600, 17 * 3600 - 1)))
        payer = rnd.randrange(customers)
        payee = (payer + rnd.randrange(1, customers)) % customers
        out.append(Txn(f"load-{'any' if any_hour else 'open'}-{k}", f"{payer}:USD", f"cust-{payee}", None, rnd.randint(10_00, 2_000_00) / 100,
                       int(at.timestamp()), "desk", None))
    return out


def qa_case(store, engine, config: FraudConfig, no_ratio: FraudConfig, txns: list[Txn],  # noqa: ANN001
            at: datetime) -> dict | None:
    """The QA report: a first 9,500.00 USD desk transfer to a new payee from a customer whose usual amount is
    tiny (the first customer, by id, whose usual is at most 20.00 USD), scored at the end of the test days."""
    seen: set[str] = set()
    for t in txns:
        if t.card in seen or not t.card.endswith(":USD"):
            continue
        seen.add(t.card)
        tx = Txn("qa-9500", t.card, "new-payee-qa", None, 9_500.0, int(at.timestamp()), "desk", None)
        row = features.compute(store.snapshot(tx), tx, DELAY)
        ratio = row[features.INDEX["ratio_usual_30d"]]
        if ratio < 9_500 / 20:
            continue
        on = assess(engine, config, tx, row, amount=9_500_00, currency="USD", exponent=2)
        off = assess(engine, no_ratio, tx, row, amount=9_500_00, currency="USD", exponent=2)
        return {"customer": t.card, "usual": 9_500 / ratio, "ratio": ratio, "decision": on.decision,
                "score": round(on.score, 4), "reasons": list(on.reasons), "without_rule": off.decision,
                "score_without_rule": round(off.score, 4), "reasons_without_rule": list(off.reasons)}
    return None


def rates(decisions: list[str], frauds: list[bool]) -> dict:
    normal = [d for d, f in zip(decisions, frauds) if not f]
    bad = [d for d, f in zip(decisions, frauds) if f]
    out = {"normal": len(normal), "frauds": len(bad)}
    if normal:
        out["false_positive_rate"] = round(sum(d != "approve" for d in normal) / len(normal), 4)
        out["declined_normal"] = round(sum(d == "decline" for d in normal) / len(normal), 4)
    if bad:
        out["detection_rate"] = round(sum(d != "approve" for d in bad) / len(bad), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=60, help="history the model trains on (the demo's 60)")
    parser.add_argument("--test-days", type=int, default=28)
    parser.add_argument("--random", type=int, default=2_000, help="random desk transfers in the load test")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    started = time.perf_counter()

    plan = build(args.customers, args.days + args.test_days, END, args.seed)
    txns, frauds = payments(plan)
    test_start = (END - timedelta(days=args.test_days)).replace(hour=0, minute=0, second=0, microsecond=0)
    cut = int(test_start.timestamp())
    n_hist = sum(1 for t in txns if t.ts < cut)
    X, store = memory_replay(txns[:n_hist], frauds[:n_hist], DELAY)
    ts = np.fromiter((t.ts for t in txns[:n_hist]), dtype=np.int64, count=n_hist)
    y = np.asarray(frauds[:n_hist], dtype=np.int8)
    rows = training_window(ts, DELAY)
    t0 = time.perf_counter()
    trained = train(X[rows], y[rows], ts[rows], candidates=("hgb", "logistic"))
    fit_s = time.perf_counter() - t0
    engine = backtest.loaded(trained, backtest.Frame(np.arange(n_hist), ts, [], [], np.zeros(n_hist), y),
                             np.flatnonzero(rows), DELAY)
    one_scale = dataclasses.replace(engine, channel_ceiling=None, channel_floor=None)
    log(f"{n_hist:,} history payments ({int(y.sum())} frauds), model {trained.kind} fitted in {fit_s:.0f} s")

    rnd = random.Random(args.seed)
    load = (random_desk(rnd, args.random // 2, args.customers, test_start, args.test_days)
            + random_desk(rnd, args.random - args.random // 2, args.customers, test_start, args.test_days, any_hour=True))
    stream = sorted([(t.ts, 0, i) for i, t in enumerate(txns[n_hist:], n_hist)] + [(t.ts, 1, i) for i, t in enumerate(load)])
    config = FraudConfig(label_delay_days=DELAY)
    no_ratio = dataclasses.replace(config, usual_ratio_limit=None)  # the engine before the usual-ratio rule
    models = {"per_channel": engine, "no_ratio_rule": engine, "one_scale": one_scale}
    configs = {"no_ratio_rule": no_ratio}
    decided: dict[str, dict[str, list]] = {m: {"test": [], "load": []} for m in models}
    example = None
    for _ts, is_load, i in stream:
        tx = load[i] if is_load else txns[i]
        row = features.compute(store.snapshot(tx), tx, DELAY)
        for name, model in models.items():
            result = assess(model, configs.get(name, config), tx, row, amount=int(round(tx.amount * 100)),
                            currency="USD", exponent=2, explain=False)
            decided[name]["load" if is_load else "test"].append(result.decision)
        if is_load and example is None and tx.amount >= 900 and tx.id.startswith("load-open"):
            tx = dataclasses.replace(tx, id="example", amount=EXAMPLE / 100)
            example = (tx, assess(engine, config, tx, features.compute(store.snapshot(tx), tx, DELAY),
                                  amount=EXAMPLE, currency="USD", exponent=2))
        if not is_load:
            store.add_transaction(tx, row)
            if frauds[i]:
                store.add_label(tx, 1)
    qa = qa_case(store, engine, config, no_ratio, txns, END - timedelta(hours=1))
    test_txns = txns[n_hist:]
    test_frauds = frauds[n_hist:]
    report: dict = {"customers": args.customers, "history_days": args.days, "test_days": args.test_days,
                    "label_delay_days": DELAY, "model": trained.kind, "fit_s": round(fit_s, 1),
                    "validation": {k: v for k, v in trained.metrics.items() if k.startswith(("validation_ap", "normal_"))}}
    for name in models:
        per: dict = {}
        for channel in CHANNELS:
            keep = [k for k, t in enumerate(test_txns) if t.channel == channel]
            per[channel] = rates([decided[name]["test"][k] for k in keep], [test_frauds[k] for k in keep])
        for key, prefix in (("random_desk_open_hours", "load-open"), ("random_desk_any_hour", "load-any")):
            got = [d for d, t in zip(decided[name]["load"], load) if t.id.startswith(prefix)]
            per[key] = {**rates(got, [False] * len(got)), "decisions": dict(Counter(got))}
        report[name] = per
    if example is not None:
        tx, result = example
        report["example_1000_usd_desk"] = {"decision": result.decision, "score": round(result.score, 4),
                                           "reasons": list(result.reasons)}
    report["qa_9500_usd_desk"] = qa
    report["runtime_s"] = round(time.perf_counter() - started, 1)

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print()
    print(f"test period: {args.test_days} days after {args.days} days of history, {args.customers:,} customers")
    print(f"{'scale':12} {'traffic':18} {'normal':>7} {'FPR':>7} {'declined':>9} {'frauds':>7} {'detection':>10}")
    for name in models:
        for key, r in report[name].items():
            fpr = f"{r['false_positive_rate'] * 100:6.2f}%" if "false_positive_rate" in r else "      -"
            dec = f"{r['declined_normal'] * 100:8.2f}%" if "declined_normal" in r else "        -"
            det = f"{r['detection_rate'] * 100:9.1f}%" if "detection_rate" in r else "         -"
            print(f"{name:12} {key:18} {r['normal']:7,} {fpr} {dec} {r['frauds']:7,} {det}")
    if example is not None:
        ex = report["example_1000_usd_desk"]
        print(f"1,000.00 USD desk transfer between two customers: {ex['decision']} (score {ex['score']}); "
              f"reasons: {'; '.join(ex['reasons'])}")
    if qa is not None:
        print(f"QA case, 9,500.00 USD desk transfer to a new payee from customer {qa['customer']} (usual amount "
              f"{qa['usual']:,.2f} USD, {qa['ratio']:,.0f} times): {qa['decision']} (score {qa['score']}); without "
              f"the usual-ratio rule: {qa['without_rule']} (score {qa['score_without_rule']})")
    print(f"runtime {report['runtime_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
