"""Ledger throughput against pgbench on the same PostgreSQL server, printed side by side.

    python benchmarks/ledger.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--seconds 10] [--rounds 3] [--json]

Measures, in one run:
- the single-transfer path (``Ledger.transfer``, one transfer per database transaction, as a desk posts it)
  at 1 and 8 concurrent desks, each desk its own process with its own connection, as each console is:
  transfers/s, p50/p99 latency; for comparison also 8 desks as threads of one process (one interpreter lock);
- ``pgbench`` built-in tpcb-like at the same client counts and duration, in its own throw-away database,
  and the ratio ledger/pgbench;
- the batch path (``Ledger.post_batch``) posting many transfers in chunks, with a few deliberately
  refused ones (frozen account, insufficient funds, unknown account) to show every rule still applies.

Nothing of the user's is touched: the ledger runs in a throw-away schema and pgbench in a throw-away
database, both dropped at the end. Figures taken while other work loads the machine are not
representative; the load average at the start is printed with them.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from pathlib import Path

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.errors import QenexError
from core.ledger import numbers
from core.ledger.errors import AccountFrozen, AccountNotFound, InsufficientFunds
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest, TransferResult
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.roles import SYSTEM_ACTOR

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CURRENCY = "USD"
DESKS = (1, 8)
FUNDING = 10**12  # minor units deposited into every customer account


# -- throw-away ledger ----------------------------------------------------------------------------------------
class BenchBank:
    """A migrated ledger in its own schema with ``n`` funded customer accounts, dropped by ``close``."""

    def __init__(self, url: str, n_accounts: int) -> None:
        self.schema = f"qenex_bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(url)
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
        sep = "&" if "?" in url else "?"
        self.url = f"{url}{sep}options=-csearch_path%3D{self.schema}"
        self.engine = make_engine(self.url, pool_size=max(DESKS) + 2)
        try:
            migrate.upgrade(self.engine)
            self.ledger = Ledger(self.engine)
            self.accounts, self.frozen, self.empty = self._seed(n_accounts)
        except BaseException:
            self.close()
            raise

    def _seed(self, n: int) -> tuple[list[str], str, str]:
        led, s = self.ledger, SYSTEM_ACTOR
        cash = led.ensure_gl_accounts(s, CURRENCY)["teller_cash"].number
        numbers: list[str] = []
        for i in range(n + 2):
            customer = led.add_customer(s, f"Bench customer {i}")
            numbers.append(led.open_account(s, customer.id, CURRENCY, overdraft=0 if i >= n else 10**9).number)
        customers, frozen, empty = numbers[:n], numbers[n], numbers[n + 1]
        funded = led.post_batch(s, [TransferRequest(f"fund-{num}", cash, num, FUNDING, CURRENCY, code="deposit")
                                    for num in customers])
        assert all(isinstance(r, TransferResult) for r in funded), funded[:3]
        led.set_status(s, frozen, "frozen")
        return customers, frozen, empty

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()


# -- single-transfer path -------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def desk_loop(ledger: Ledger, accounts: list[str], tag: str, k: int, seconds: float,
              gate: Callable[[], object]) -> list[float]:
    """One desk: warm up (connection, prepared statements), wait at ``gate``, then post random transfers
    between distinct accounts, one per database transaction, for ``seconds``; the latencies."""
    rng = random.Random(f"{tag}-{k}-{time.time_ns()}")

    def post(tid: str) -> None:
        debit, credit = rng.sample(accounts, 2)
        ledger.transfer(SYSTEM_ACTOR, TransferRequest(tid, debit, credit, rng.randint(1, 50_000), CURRENCY,
                                                      description="bench"))

    for i in range(50):
        post(f"{tag}-warm-{k}-{i}")
    gate()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < deadline:
        post(f"{tag}-{k}-{len(latencies)}")
        latencies.append(time.perf_counter() - t0)
    return latencies


def _desk_process(url: str, accounts: list[str], tag: str, k: int, seconds: float, gate: Any, results: Any) -> None:
    """A desk as its own process, as each console is: its own engine, ledger and interpreter."""
    engine = make_engine(url, pool_size=1)
    try:
        results.put((desk_loop(Ledger(engine), accounts, tag, k, seconds, gate.wait), None))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent, the run is then invalid
        gate.abort()  # the other desks stop waiting for this one
        results.put(([], repr(exc)))
    finally:
        engine.dispose()


def bench_single(bank: BenchBank, desks: int, seconds: float, tag: str, *, threads: bool = False) -> dict:
    """``desks`` desks posting at once for ``seconds``: separate processes, or threads sharing one ledger."""
    tag = f"{tag}-{desks}"  # transfer ids unique per run
    if threads:
        gate = threading.Barrier(desks)
        runs: list = [None] * desks
        errors: list[BaseException] = []

        def desk(k: int) -> None:
            try:
                runs[k] = desk_loop(bank.ledger, bank.accounts, tag, k, seconds, gate.wait)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                gate.abort()

        workers = [threading.Thread(target=desk, args=(k,), daemon=True) for k in range(desks)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if errors:
            raise RuntimeError(f"a desk failed: {errors[0]!r}") from errors[0]
    else:
        ctx = multiprocessing.get_context()
        gate, results = ctx.Barrier(desks), ctx.Queue()
        procs = [ctx.Process(target=_desk_process, daemon=True,
                             args=(bank.url, bank.accounts, tag, k, seconds, gate, results)) for k in range(desks)]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=seconds + 120) for _ in procs]
        for proc in procs:
            proc.join()
        failed = [err for _, err in outcomes if err]
        if failed:
            raise RuntimeError(f"a desk failed: {failed[0]}")
        runs = [lat for lat, _ in outcomes]
    flat = sorted(x for lat in runs for x in lat)
    return {"tps": len(flat) / seconds, "count": len(flat), "p50_ms": percentile(flat, 0.50) * 1000,
            "p99_ms": percentile(flat, 0.99) * 1000}


# -- batch path -----------------------------------------------------------------------------------------------
def bench_batch(bank: BenchBank, count: int, chunk: int) -> dict:
    """Post ``count`` transfers through ``post_batch`` in calls of ``chunk``; every 1000th is meant to be refused."""
    rng = random.Random(7)
    tag = uuid.uuid4().hex[:6]
    accounts = bank.accounts
    unknown = numbers.make(9_999_999, "deposit")
    bad = {0: (bank.frozen, AccountFrozen), 1: (bank.empty, InsufficientFunds), 2: (unknown, AccountNotFound)}
    reqs, expected = [], {}
    for i in range(count):
        debit, credit = rng.sample(accounts, 2)
        if i % 1000 == 999:
            kind = (i // 1000) % 3
            debit = bad[kind][0]
            expected[i] = bad[kind][1]
        reqs.append(TransferRequest(f"batch-{tag}-{i}", debit, credit, rng.randint(1, 50_000), CURRENCY,
                                    description="settlement"))
    results: list = []
    t0 = time.perf_counter()
    for start in range(0, count, chunk):
        results.extend(bank.ledger.post_batch(SYSTEM_ACTOR, reqs[start:start + chunk]))
    elapsed = time.perf_counter() - t0
    for i, res in enumerate(results):
        want = expected.get(i)
        if want is None and not isinstance(res, TransferResult):
            raise RuntimeError(f"batch transfer {i} was refused: {res!r}")
        if want is not None and not isinstance(res, want):
            raise RuntimeError(f"batch transfer {i} should be refused with {want.__name__}, got {res!r}")
    return {"tps": count / elapsed, "count": count, "chunk": chunk, "seconds": elapsed,
            "refused": sum(isinstance(r, QenexError) for r in results)}


def verify(bank: BenchBank) -> dict:
    """Totals per currency are zero and every balance equals the sum of its entries."""
    totals = bank.ledger.totals_by_currency(SYSTEM_ACTOR)
    with bank.engine.connect() as conn:
        mismatched = conn.execute(text(
            "SELECT count(*) FROM accounts a LEFT JOIN (SELECT account_id, sum(amount) s FROM entries "
            "GROUP BY account_id) e ON e.account_id = a.id WHERE a.credits_posted - a.debits_posted <> coalesce(e.s, 0)"
        )).scalar_one()
        transfers = conn.execute(text("SELECT count(*) FROM transfers")).scalar_one()
    if any(totals.values()) or mismatched:
        raise RuntimeError(f"ledger unsound after the run: totals {totals}, {mismatched} balances off their entries")
    return {"totals_zero": True, "transfers": transfers}


# -- pgbench --------------------------------------------------------------------------------------------------
class PgBench:
    """pgbench tpcb-like in a throw-away database on the same server."""

    def __init__(self, url: str, scale: int) -> None:
        u = make_url(url)
        self.scale = scale
        self.dbname = f"qenex_pgbench_{uuid.uuid4().hex[:8]}"
        self.conninfo = {"host": u.host or "localhost", "port": str(u.port or 5432), "user": u.username or "postgres"}
        self.env = dict(os.environ, **({"PGPASSWORD": u.password} if u.password else {}))
        self.admin_url = u.set(drivername="postgresql+psycopg")
        self.exe = shutil.which("pgbench")
        if self.exe is None:
            raise SystemExit("pgbench not found on PATH (Debian/Ubuntu: apt-get install postgresql-client)")
        self._admin(f'CREATE DATABASE "{self.dbname}"')
        try:
            self._pgbench("-i", "-q", "-s", str(scale))
        except BaseException:
            self.close()
            raise

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def _pgbench(self, *args: str) -> str:
        cmd = [self.exe, "-h", self.conninfo["host"], "-p", self.conninfo["port"], "-U", self.conninfo["user"],
               *args, self.dbname]
        done = subprocess.run(cmd, capture_output=True, text=True, env=self.env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")
        return done.stdout

    def run(self, clients: int, seconds: float) -> dict:
        with tempfile.TemporaryDirectory() as logs:
            prefix = str(Path(logs) / "tx")
            out = self._pgbench("-b", "tpcb-like", "-c", str(clients), "-j", str(min(2, clients)),
                                "-T", str(max(1, round(seconds))), "-l", f"--log-prefix={prefix}")
            lat = sorted(int(line.split()[2]) / 1000 for f in Path(logs).iterdir()
                         for line in f.read_text().splitlines() if line)
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        if match is None:
            raise RuntimeError(f"could not read pgbench's tps from:\n{out}")
        return {"tps": float(match.group(1)), "count": len(lat), "p50_ms": percentile(lat, 0.50),
                "p99_ms": percentile(lat, 0.99)}

    def version(self) -> str:
        return subprocess.run([self.exe, "--version"], capture_output=True, text=True).stdout.strip()

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.dbname}"')


# -- report ---------------------------------------------------------------------------------------------------
def server_version(engine: sqlalchemy.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SHOW server_version")).scalar_one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("QENEX_BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL URL (default {DEFAULT_URL})")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each timed run (default 10)")
    parser.add_argument("--accounts", type=int, default=1000, help="customer accounts to seed (default 1000)")
    parser.add_argument("--batch", type=int, default=200_000,
                        help="transfers posted on the batch path (default 200000)")
    parser.add_argument("--chunk", type=int, default=20_000, help="transfers per post_batch call (default 20000)")
    parser.add_argument("--scale", type=int, default=max(DESKS),
                        help="pgbench scale factor (default 8: the largest client count, pgbench's documented minimum)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measurement; report medians (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if make_url(args.url).get_backend_name() != "postgresql":
        parser.error("the benchmark needs a PostgreSQL URL (pgbench is the reference)")

    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    load = os.getloadavg()
    say(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
        + ("  (machine busy: figures are not representative)" if load[0] > 0.5 * (os.cpu_count() or 1) else ""))
    out: dict = {"load_average_start": [round(x, 2) for x in load], "cpus": os.cpu_count(),
                 "seconds": args.seconds, "rounds": args.rounds, "accounts": args.accounts,
                 "pgbench_scale": args.scale}

    say(f"seeding {args.accounts} accounts in a throw-away schema, "
        f"pgbench -i -s {args.scale} in a throw-away database ...")
    bank = BenchBank(args.url, args.accounts)
    pgbench = None
    runs: dict[str, list[float]] = {}

    def keep(source: str, n: int, res: dict) -> None:
        for key in ("tps", "p50_ms", "p99_ms"):
            runs.setdefault(f"{source}_{key}_{n}", []).append(res[key])

    try:
        pgbench = PgBench(args.url, args.scale)
        tag = uuid.uuid4().hex[:6]
        for round_no in range(args.rounds):
            for n in DESKS:  # each pair back to back, so both see the same machine
                say(f"[{round_no + 1}/{args.rounds}] ledger single path, {n} desk process(es), {args.seconds:g}s ...")
                keep("single", n, bench_single(bank, n, args.seconds, f"{tag}{round_no}p"))
                if n > 1:
                    say(f"[{round_no + 1}/{args.rounds}] ledger single path, {n} desk threads in one process, "
                        f"{args.seconds:g}s ...")
                    keep("threads", n, bench_single(bank, n, args.seconds, f"{tag}{round_no}t", threads=True))
                say(f"[{round_no + 1}/{args.rounds}] pgbench tpcb-like -c {n} -j {min(2, n)} "
                    f"-T {max(1, round(args.seconds))} ...")
                keep("pgbench", n, pgbench.run(n, args.seconds))
            say(f"[{round_no + 1}/{args.rounds}] ledger batch path, {args.batch:,} transfers "
                f"in calls of {args.chunk:,} ...")
            res = bench_batch(bank, args.batch, args.chunk)
            runs.setdefault("batch_tps", []).append(res["tps"])
            out.update(batch_count=res["count"], batch_chunk=res["chunk"], batch_refused=res["refused"])
        out.update({key: statistics.median(values) for key, values in runs.items()})
        for n in DESKS:
            out[f"ratio_{n}"] = out[f"single_tps_{n}"] / out[f"pgbench_tps_{n}"]
        out["threads_ratio_8"] = out["threads_tps_8"] / out["pgbench_tps_8"]
        if args.rounds > 1:
            out["runs"] = {key: [round(v, 2) for v in values] for key, values in runs.items()}
        out.update(verify(bank))
        out["versions"] = {"postgresql": server_version(bank.engine), "pgbench": pgbench.version(),
                           "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
                           "psycopg": psycopg.__version__}
    finally:
        bank.close()
        if pgbench is not None:
            pgbench.close()
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
        return 0
    print()
    print(f"{'':26}{'ledger':>12}{'pgbench':>12}{'ratio':>9}")
    for n in DESKS:
        print(f"{f'{n} desk(s)  tps':26}{out[f'single_tps_{n}']:12,.0f}{out[f'pgbench_tps_{n}']:12,.0f}"
              f"{out[f'ratio_{n}']:9.2f}")
        for q in ("p50", "p99"):
            print(f"{f'           {q} ms':26}{out[f'single_{q}_ms_{n}']:12.2f}{out[f'pgbench_{q}_ms_{n}']:12.2f}")
    print(f"{'8 desk threads, 1 process':26}{out['threads_tps_8']:12,.0f}{out['pgbench_tps_8']:12,.0f}"
          f"{out['threads_ratio_8']:9.2f}   (one interpreter lock shared by all desks)")
    print(f"{'batch  transfers/s':26}{out['batch_tps']:12,.0f}"
          f"   ({out['batch_count']:,} in calls of {out['batch_chunk']:,}, {out['batch_refused']} refused as meant)")
    print(f"pgbench scale {args.scale} (>= the largest client count, as pgbench's docs ask); "
          f"{out['seconds']:g}s per run; {', '.join(f'{k} {v}' for k, v in out['versions'].items())}")
    print(f"targets: 8 desks >= 0.8 x pgbench: {'met' if out['ratio_8'] >= 0.8 else 'NOT met'}; "
          f"batch >= 50,000/s: {'met' if out['batch_tps'] >= 50_000 else 'NOT met'}")
    print(f"load average start {out['load_average_start']}, end {out['load_average_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
