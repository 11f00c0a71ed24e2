"""The self-improving loop against a model trained once, on the Fraud Detection Handbook data (not a test).

    nice .venv/bin/python benchmarks/self_improving.py [--data PATH] [--capacity 100] [--kind rf]
                                                       [--cache FILE.npz] [--json]

The handbook's transactions (see /work/shared/data/fraud-handbook/README.md) stream through the engine's
online features in time order (labels reach features only through windows older than the 7-day delay).
Then, week by week from 2018-05-01 to the end of the data:

  * static: one model fitted on the labels known on 2018-05-01 (payments from 2018-04-08, after a week
    of warm-up for the spending windows, up to the label delay before that day);
  * loop: refitted at the start of every week on every label known by then: payments older than the
    7-day delay (chargebacks, closed investigations), plus the alerts analysts cleared: each day the
    ``--capacity`` highest-scored payments of the loop's own scores are labelled at once.

Both fit the same estimator (``--kind``, from core.fraud.training.CANDIDATES, scored by the engine's
compiled scorer) on at most 100,000 legitimate rows (all frauds kept). Printed: average precision per
week for both, side by side, and over every replayed payment. The loop's steps are core.fraud.loop.
``--cache`` keeps the feature matrix in a file outside the repository (reused when present).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.fraud import backtest, loop  # noqa: E402
from core.fraud.replay import replay  # noqa: E402
from core.fraud.state import MemoryStore  # noqa: E402
from core.fraud.training import CANDIDATES  # noqa: E402

DATA = Path("/work/shared/data/fraud-handbook/transactions-2018-04-01_2018-08-31.csv.gz")
DELAY = 7
START = "2018-05-01"
HISTORY_START = "2018-04-08"


def _ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())


def features(data: Path, cache: Path | None, log) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    if cache is not None and cache.is_file():
        with np.load(cache) as f:
            return f["X"], f["y"], f["ts"]
    t0 = time.perf_counter()
    frame = backtest.read(data, labelled=True)
    X = replay(frame.txns(), len(frame), MemoryStore(DELAY), delay_days=DELAY, frauds=frame.frauds.tolist())
    log(f"online features for {len(frame):,} transactions: {time.perf_counter() - t0:.0f} s")
    y, ts = frame.frauds.astype(np.int8), frame.ts
    if cache is not None:
        np.savez(cache, X=X, y=y, ts=ts)
    return X, y, ts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--capacity", type=int, default=100, help="alerts the analysts label a day")
    parser.add_argument("--kind", choices=sorted(CANDIDATES), default="rf")
    parser.add_argument("--weeks", type=int, default=18)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    started = time.perf_counter()
    X, y, ts = features(args.data, args.cache, log)

    def progress(k: int, week: loop.Week) -> None:
        log(f"week {k + 1}: static {week.ap_static}, loop {week.ap_loop} ({time.perf_counter() - started:.0f} s)")

    result = loop.replay_weeks(X, y, ts, start=_ts(START), weeks=args.weeks, delay_days=DELAY,
                               capacity=args.capacity, fit=loop.fit_classifier(args.kind),
                               history_start=_ts(HISTORY_START), progress=progress)
    won, of = loop.beats(result)
    runtime = time.perf_counter() - started
    if args.json:
        print(json.dumps({"kind": args.kind, "capacity": args.capacity, "label_delay_days": DELAY,
                          "weeks": [asdict(w) for w in result.weeks], "ap_static": result.ap_static,
                          "ap_loop": result.ap_loop, "loop_ahead_weeks": won, "weeks_compared": of,
                          "runtime_s": round(runtime, 1)}, indent=2))
        return 0
    print()
    print(f"model {args.kind}, analysts label {args.capacity} alerts a day, labels otherwise after {DELAY} days")
    print("\n".join(loop.weeks_table(result)))
    print(f"runtime {runtime:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
