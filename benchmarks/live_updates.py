"""Live updates across desks: how long after one desk commits a transfer another desk's bus delivers it.

    python benchmarks/live_updates.py [--transfers 200] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                      [--redis redis://127.0.0.1:6379/15] [--json]

Desk 2 is a second process that posts transfers one after another through ``Services.build`` (audit trail,
fraud screen and four eyes attached, as a desk posts) and prints the wall-clock time right after each
commit; desk 1 (this process) listens on its event bus and records when each ``transaction.created``
arrives. Both run on this machine, so their clocks agree. Reported: median, 95th percentile and worst
delivery delay, per transport (PostgreSQL LISTEN/NOTIFY; Redis pub/sub when ``--redis`` is given).
Reference in the same run: one PostgreSQL round trip (``SELECT 1``) from desk 1. Target: under 1 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from benchmarks.teller_data import Scratch  # noqa: E402
from core.events import EventBus  # noqa: E402
from core.ledger.service import Ledger  # noqa: E402
from core.security.roles import SYSTEM_ACTOR  # noqa: E402

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
from app.services import Services
from app.settings import Settings
from core.ledger.views import TransferRequest
from core.persistence.db import make_engine
from core.security.roles import Actor, Role
url, redis, a, b, n = sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4], int(sys.argv[5])
engine = make_engine(url)
services = Services.build(Settings(url, redis, Path(tempfile.mkdtemp())), engine)
tina = Actor("tina", Role.TELLER, device="bench-desk-2")
sys.stdin.readline()
for i in range(n):
    services.ledger.transfer(tina, TransferRequest(id=f"live-{i}", debit=a, credit=b, amount=100, currency="USD"))
    print(json.dumps({"id": f"live-{i}", "t": time.time()}), flush=True)
    time.sleep(0.02)
services.close()
"""


def run(url: str, redis: str | None, transfers: int) -> dict:
    scratch = Scratch("postgres", url)
    try:
        ledger = Ledger(scratch.engine)
        numbers = []
        for name in ("Ada", "Grace"):
            customer = ledger.add_customer(SYSTEM_ACTOR, name)
            numbers.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
        ledger.deposit(SYSTEM_ACTOR, numbers[0], 10_000_000, "USD")
        arrived: dict[str, float] = {}
        lock = threading.Lock()

        def got(event) -> None:  # noqa: ANN001
            with lock:
                arrived.setdefault(str(event.payload.get("id")), time.time())

        bus = EventBus(scratch.engine, redis_url=redis)
        bus.subscribe(got, ("transaction.created",))
        bus.start()
        while bus.state != "live":
            time.sleep(0.01)
        child_url = scratch.engine.url.render_as_string(hide_password=False)
        child = subprocess.Popen([sys.executable, "-c", CHILD, child_url, redis or "", *numbers, str(transfers)],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        child.stdin.write("go\n")
        child.stdin.flush()
        committed = {}
        for line in child.stdout:
            row = json.loads(line)
            committed[row["id"]] = row["t"]
        child.wait(timeout=120)
        if child.returncode != 0:
            raise SystemExit(child.stderr.read())
        time.sleep(1.0)
        bus.stop()
        delays = sorted((arrived[k] - t) * 1000 for k, t in committed.items() if k in arrived)
        with scratch.engine.connect() as conn:
            trips = []
            for _ in range(50):
                t = time.perf_counter()
                conn.execute(text("SELECT 1"))
                trips.append((time.perf_counter() - t) * 1000)
        return {"transport": "redis" if redis else "postgres", "transfers": transfers, "delivered": len(delays),
                "median_ms": round(statistics.median(delays), 2),
                "p95_ms": round(delays[int(len(delays) * 0.95) - 1], 2), "max_ms": round(delays[-1], 2),
                "select1_ms": round(statistics.median(trips), 3)}
    finally:
        scratch.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--url", default=os.environ.get("QENEX_TEST_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [run(args.url, None, args.transfers)]
    if args.redis:
        results.append(run(args.url, args.redis, args.transfers))
    for r in results:
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['transport']:8} {r['delivered']}/{r['transfers']} delivered; delay after commit: median "
                  f"{r['median_ms']} ms, p95 {r['p95_ms']} ms, worst {r['max_ms']} ms "
                  f"(reference: SELECT 1 round trip {r['select1_ms']} ms, ratio median/round trip "
                  f"{r['median_ms'] / r['select1_ms']:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
