"""Desk postings while the fraud loop retrains, started from the desk process (issue 12: posting never waits).

    QENEX_AUDIT_KEY=DATA/audit/ml-dsa-65.key \
    python benchmarks/retrain_posting.py --database sqlite:////path/to/demo/bank.db [--payments 60] [--json]

Posts ``--payments`` customer transfers through ``Services.build(...)`` (the fraud screen and the audit
trail attached, as a desk posts), first with nothing else running, then while ``AiDesk.retrain`` runs,
called on a thread of the same process as the console calls it (the training itself runs in a child
process at a lower CPU priority, ``core.child_process``); prints the median and p95 latency of both, the
ratio, how many postings were refused, and the one-minute load average at the start and the end. Use a
copy of a demo bank (``qenex demo seed``) and its audit key (QENEX_AUDIT_KEY): the transfers are really
posted into it (1.00 USD each, between its customers' USD accounts). The retrain never blocks a posting (no
shared lock); what is left is the CPU the two share.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import select


def _post(services, accounts: list[str], n: int) -> tuple[list[float], list[str]]:  # noqa: ANN001
    """Latencies (seconds) and the refusals' words."""
    from core.errors import QenexError
    from core.ledger.views import TransferRequest
    from core.security.roles import SYSTEM_ACTOR

    latencies, refused = [], []
    for i in range(n):
        started = time.perf_counter()
        try:
            services.ledger.transfer(SYSTEM_ACTOR, TransferRequest(
                uuid.uuid4().hex, accounts[i % len(accounts)], accounts[(i + 7) % len(accounts)], 100, "USD",
                channel="desk"))
        except QenexError as err:
            refused.append(err.message)  # a refusal is a posting result too (screened, decided, nothing written)
        latencies.append(time.perf_counter() - started)
        time.sleep(0.05)  # a desk's pace, not a load test
    if len(refused) == n:
        raise SystemExit(f"every posting was refused ({refused[0][:300]}); nothing measured")
    return latencies, refused


def _figures(lat: list[float]) -> dict:
    ranked = sorted(lat)
    return {"median_ms": round(statistics.median(lat) * 1e3, 1),
            "p95_ms": round(ranked[max(0, int(len(ranked) * 0.95) - 1)] * 1e3, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="URL of a demo bank (a copy: transfers are posted)")
    parser.add_argument("--payments", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from app.services import Services
    from app.settings import Settings
    from core.persistence import migrate
    from core.persistence.db import make_engine
    from core.persistence.models import Account
    from core.security.roles import SYSTEM_ACTOR

    engine = make_engine(args.database)
    migrate.upgrade(engine)
    services = Services.build(Settings(args.database, None, Path(tempfile.mkdtemp(prefix="qenex-bench-"))), engine)
    with engine.connect() as conn:
        accounts = list(conn.scalars(select(Account.number).where(Account.customer_id.is_not(None),
                                                                  Account.currency == "USD").limit(40)))
    if len(accounts) < 8:
        raise SystemExit("the database needs customers with USD accounts: seed a demo bank (qenex demo seed)")
    load_at_start = os.getloadavg()[0]
    idle, idle_refused = _post(services, accounts, args.payments)
    run: dict = {}
    worker = threading.Thread(target=lambda: run.update(result=services.ai.retrain(SYSTEM_ACTOR)))
    started = time.perf_counter()
    worker.start()
    time.sleep(3)  # into the replay
    during, during_refused = _post(services, accounts, args.payments)
    alive = worker.is_alive()
    worker.join()
    out = {"load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
           "idle": {**_figures(idle), "refused": len(idle_refused)},
           "during_retrain": {**_figures(during), "refused": len(during_refused)},
           "retrain_still_running_at_the_end": alive, "retrain_seconds": round(time.perf_counter() - started, 1),
           "retrain": run["result"].status if "result" in run else "failed (see above)"}
    out["ratio_median"] = round(out["during_retrain"]["median_ms"] / out["idle"]["median_ms"], 2)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"load average {out['load_average'][0]:.2f} at the start, {out['load_average'][1]:.2f} at the end; "
              f"retrain {out['retrain']}, took {out['retrain_seconds']} s")
        print(f"{'':22} {'median ms':>10} {'p95 ms':>8} {'refused':>8}")
        for name in ("idle", "during_retrain"):
            print(f"{name:22} {out[name]['median_ms']:>10} {out[name]['p95_ms']:>8} {out[name]['refused']:>8}")
        print(f"ratio (during / idle, median): {out['ratio_median']}")
    services.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
