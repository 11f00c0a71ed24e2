"""Fraud engine benchmark on the Fraud Detection Handbook data (not a test; takes a few minutes).

    .venv/bin/python benchmarks/fraud.py [--data PATH] [--json]

Two splits, each printed side by side with a scikit-learn random forest (100 trees, the book's
chapter 3.4 baseline: RandomForestClassifier(random_state=0), all defaults) trained on the book's
15 baseline features:
  * book:   train 2018-07-25..31, 7-day label delay, test 2018-08-08..14 (the book's protocol);
  * longer: train 2018-07-11..31 (3 weeks), same delay and test week.
Test days drop cards already known to be compromised, as the book does: cards with a fraud in the
training period, plus, per test day, cards with a fraud up to that day minus the delay.
Metrics: AUC ROC, average precision, card precision@100 (per day the 100 cards with the highest
score, share with a fraud that day, cards found on earlier days removed, averaged over days).
Features for every transaction come from one time-ordered pass of the engine's online feature code
over the whole file (labels reach features only through delay-shifted windows), so test
transactions see history and earlier test transactions, never test labels.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.fraud import backtest, features  # noqa: E402
from core.fraud.config import FraudConfig  # noqa: E402
from core.fraud.decision import assess, model_scores  # noqa: E402
from core.fraud.replay import replay  # noqa: E402
from core.fraud.state import MemoryStore  # noqa: E402
from core.fraud.training import train  # noqa: E402

DATA = Path("/work/shared/data/fraud-handbook/transactions-2018-04-01_2018-08-31.csv.gz")
DELAY = 7
TEST_START, TEST_DAYS = "2018-08-08", 7
SPLITS = {"book": ("2018-07-25", 7), "longer": ("2018-07-11", 21)}
BOOK_FEATURES = [
    "TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT",
    *[f"CUSTOMER_ID_{k}_{w}DAY_WINDOW" for w in (1, 7, 30) for k in ("NB_TX", "AVG_AMOUNT")],
    *[f"TERMINAL_ID_{k}_{w}DAY_WINDOW" for w in (1, 7, 30) for k in ("NB_TX", "RISK")],
]


def book_features(df: pd.DataFrame, delay: int = DELAY) -> pd.DataFrame:
    """The handbook's 15 baseline features (chapter 3.2), computed its way with pandas rolling windows."""
    out = pd.DataFrame(index=df.index)
    out["TX_AMOUNT"] = df.TX_AMOUNT
    out["TX_DURING_WEEKEND"] = (df.TX_DATETIME.dt.day_of_week >= 5).astype(int)
    out["TX_DURING_NIGHT"] = (df.TX_DATETIME.dt.hour <= 6).astype(int)
    d = df[["TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"]].copy()
    d["_row"] = np.arange(len(d))

    def rolled(key: str, col: str, days: int, how: str) -> np.ndarray:
        s = d.sort_values([key, "TX_DATETIME", "_row"], kind="stable")
        r = getattr(s.set_index("TX_DATETIME").groupby(key, sort=False)[col].rolling(f"{days}D"), how)()
        out_ = np.empty(len(d))
        out_[s["_row"].to_numpy()] = r.to_numpy()
        return out_

    for w in (1, 7, 30):
        nb, sm = rolled("CUSTOMER_ID", "TX_AMOUNT", w, "count"), rolled("CUSTOMER_ID", "TX_AMOUNT", w, "sum")
        out[f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = sm / nb
    f_delay, n_delay = rolled("TERMINAL_ID", "TX_FRAUD", delay, "sum"), rolled("TERMINAL_ID", "TX_FRAUD", delay, "count")
    for w in (1, 7, 30):
        nb = rolled("TERMINAL_ID", "TX_FRAUD", delay + w, "count") - n_delay
        fr = rolled("TERMINAL_ID", "TX_FRAUD", delay + w, "sum") - f_delay
        out[f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = np.where(nb > 0, fr / np.where(nb > 0, nb, 1), 0.0)
    return out[BOOK_FEATURES]


def split(df: pd.DataFrame, day: pd.Series, start: str, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows and test rows (known-compromised cards removed per test day, as the book does)."""
    s = pd.Timestamp(start)
    train_rows = (day >= s) & (day < s + pd.Timedelta(days=days))
    known = set(df.CUSTOMER_ID[train_rows & (df.TX_FRAUD == 1)])
    test = []
    for k in range(TEST_DAYS):
        test_day = pd.Timestamp(TEST_START) + pd.Timedelta(days=k)
        known |= set(df.CUSTOMER_ID[(day == test_day - pd.Timedelta(days=DELAY + 1)) & (df.TX_FRAUD == 1)])
        test.append(np.flatnonzero((day == test_day) & ~df.CUSTOMER_ID.isin(known)))
    return np.flatnonzero(train_rows), np.concatenate(test)


def card_precision(day: np.ndarray, card: np.ndarray, fraud: np.ndarray, score: np.ndarray, k: int = 100) -> float:
    t = pd.DataFrame({"day": day, "card": card, "fraud": fraud, "score": score})
    found: set = set()
    per_day = []
    for _, g in t.groupby("day"):
        top = g[~g.card.isin(found)].groupby("card")[["score", "fraud"]].max().nlargest(k, "score")
        hits = set(top.index[top.fraud == 1])
        per_day.append(len(hits) / k)
        found |= hits
    return float(np.mean(per_day))


def metrics(y: np.ndarray, p: np.ndarray, day: np.ndarray, card: np.ndarray) -> dict[str, float]:
    return {"auc_roc": round(float(roc_auc_score(y, p)), 4), "average_precision": round(float(average_precision_score(y, p)), 4),
            "card_precision_100": round(card_precision(day, card, y, p), 4)}


def latency(frame: backtest.Frame, rows: np.ndarray, store: MemoryStore, model, config: FraudConfig) -> dict:  # noqa: ANN001
    """Per-transaction online scoring (features, model, rules, reasons, state update), in time order."""
    times = []
    txns = list(frame.txns())
    for i in rows:
        tx = txns[i]
        t0 = time.perf_counter()
        row = features.compute(store.snapshot(tx), tx, DELAY)
        assess(model, config, tx, row, amount=int(round(tx.amount * 100)), currency="EUR", exponent=2)
        store.add_transaction(tx, row)
        times.append(time.perf_counter() - t0)
    ms = np.array(times) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def db_latency(model_trained, frame: backtest.Frame, rows: np.ndarray) -> dict:  # noqa: ANN001
    """The posting-path screen on SQLite: screen + record in one transaction per payment."""
    from core.fraud import registry
    from core.fraud.screen import FraudScreen, ScreenInput
    from core.persistence import migrate
    from core.persistence.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate.upgrade(engine)
        utc = timezone.utc
        registry.register(engine, model_trained, actor_name="bench", trained_from=datetime.now(utc),
                          trained_to=datetime.now(utc), label_delay_days=DELAY)
        screen = FraudScreen(engine)
        times = []
        for n, i in enumerate(rows):
            tx = ScreenInput(f"b{n}", int(frame.cards[i]), 1, 2, frame.terminals[i], None,
                             int(round(frame.amounts[i] * 100)), "EUR", 2,
                             datetime.fromtimestamp(int(frame.ts[i]), utc), "card", None)
            t0 = time.perf_counter()
            with engine.begin() as conn:
                result = screen.screen(conn, tx)
                screen.record(conn, tx, result)
            times.append(time.perf_counter() - t0)
        engine.dispose()
    ms = np.array(times[20:]) * 1000  # the first calls load and compile the model
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    report: dict = {"data": str(args.data), "label_delay_days": DELAY, "splits": {}}

    t0 = time.perf_counter()
    frame = backtest.read(args.data, labelled=True)
    df = pd.DataFrame({"TRANSACTION_ID": frame.ids, "TX_DATETIME": pd.to_datetime(frame.ts, unit="s"),
                       "CUSTOMER_ID": frame.cards, "TERMINAL_ID": frame.terminals, "TX_AMOUNT": frame.amounts,
                       "TX_FRAUD": frame.frauds})
    day = df.TX_DATETIME.dt.normalize()
    y = frame.frauds.astype(int)
    log(f"read {len(frame):,} transactions in {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    store = MemoryStore(DELAY)
    X = replay(frame.txns(), len(frame), store, delay_days=DELAY, frauds=frame.frauds.tolist())
    replay_s = time.perf_counter() - t0
    log(f"online features, one time-ordered pass: {replay_s:.1f}s ({len(frame) / replay_s:,.0f} tx/s)")
    t0 = time.perf_counter()
    B = book_features(df).to_numpy()
    log(f"book features (pandas): {time.perf_counter() - t0:.1f}s")

    config = FraudConfig(label_delay_days=DELAY)
    last = None
    for name, (start, days) in SPLITS.items():
        tr, te = split(df, day, start, days)
        t0 = time.perf_counter()
        trained = train(X[tr], y[tr], frame.ts[tr])
        model = backtest.loaded(trained, frame, tr, DELAY)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        score, _, _ = model_scores(model, X[te], config)
        batch_s = time.perf_counter() - t0
        engine = metrics(y[te], score, day.values[te], df.CUSTOMER_ID.values[te])
        t0 = time.perf_counter()
        rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2).fit(B[tr], y[tr])
        rf_s = time.perf_counter() - t0
        baseline = metrics(y[te], rf.predict_proba(B[te])[:, 1], day.values[te], df.CUSTOMER_ID.values[te])
        report["splits"][name] = {
            "train": f"{start} + {days} days", "test": f"{TEST_START} + {TEST_DAYS} days",
            "train_rows": int(len(tr)), "train_frauds": int(y[tr].sum()), "test_rows": int(len(te)),
            "test_frauds": int(y[te].sum()), "engine": engine, "random_forest": baseline,
            "ap_gain": round(engine["average_precision"] - baseline["average_precision"], 4),
            "engine_model": trained.metrics, "engine_fit_s": round(fit_s, 1), "rf_fit_s": round(rf_s, 1),
            "batch_scoring_tx_per_s": round(len(te) / batch_s),
        }
        log(f"[{name}] engine {engine} ({trained.kind}, fit {fit_s:.0f}s) | RF {baseline} (fit {rf_s:.0f}s)")
        last = (trained, model, te)

    trained, model, te = last
    report["replay_tx_per_s"] = round(len(frame) / replay_s)
    sample = te[np.linspace(0, len(te) - 1, 3000).astype(int)]
    report["online_latency"] = latency(frame, sample, store, model, config)
    paid = sample[frame.amounts[sample] > 0][:400]  # the ledger refuses zero amounts
    report["db_screen_latency_sqlite"] = db_latency(trained, frame, paid)
    log(f"online scoring per transaction (memory state): {report['online_latency']}")
    log(f"posting-path screen on SQLite (screen + record + commit): {report['db_screen_latency_sqlite']}")

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print()
        print(f"{'split':8} {'model':14} {'AUC ROC':>8} {'AP':>7} {'CP@100':>7}")
        for name, r in report["splits"].items():
            for label, m in (("engine", r["engine"]), ("RF (book 15)", r["random_forest"])):
                print(f"{name:8} {label:14} {m['auc_roc']:8.3f} {m['average_precision']:7.3f} {m['card_precision_100']:7.3f}")
            print(f"{'':8} AP gain over RF: {r['ap_gain']:+.3f}; batch scoring {r['batch_scoring_tx_per_s']:,} tx/s")
        print(f"online features replay: {report['replay_tx_per_s']:,} tx/s")
        print(f"online latency p50 {report['online_latency']['p50_ms']} ms, p99 {report['online_latency']['p99_ms']} ms")
        print(f"SQLite screen p50 {report['db_screen_latency_sqlite']['p50_ms']} ms, "
              f"p99 {report['db_screen_latency_sqlite']['p99_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
