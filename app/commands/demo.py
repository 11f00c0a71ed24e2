"""``qenex demo seed``: build the demo bank in the configured (empty) database."""
from __future__ import annotations

import argparse
import sys
import time

from app.commands.args import whole


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="demo bank").add_subparsers(dest="demo_command", required=True)
    p = demo.add_parser("seed", help="seed a demo bank (customers, accounts, months of history, demo users, "
                                     "a first fraud model) into an empty database")
    p.add_argument("--customers", type=whole(10, 100_000, "a number of customers"), default=2_000,
                   help="number of retail customers, 10-100000 (default 2000)")
    p.add_argument("--days", type=whole(7, 3_650, "a number of days"), default=60,
                   help="days of history, 7-3650 (default 60)")
    p.add_argument("--seed", type=whole(0, 2**32, "a random seed"), default=7,
                   help="random seed: the same seed gives the same bank")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_seed)


def _seed(args, ctx) -> int:  # noqa: ANN001
    from app.demo import seed_demo_bank

    started = time.monotonic()
    shown = [-1]

    def progress(done: int, total: int, message: str) -> None:
        pct = int(100 * done / total) if total else 0
        if pct != shown[0]:
            shown[0] = pct
            print(f"\r[{pct:3d}%] {message:<60}", end="", file=sys.stderr, flush=True)

    result = seed_demo_bank(ctx.settings, ctx.engine, customers=args.customers, days=args.days, seed_=args.seed,
                            progress=progress)
    print(file=sys.stderr)
    data = {**result.as_dict(), "seconds": round(time.monotonic() - started, 1)}
    ctx.emit(data, as_json=args.json, text="\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0
