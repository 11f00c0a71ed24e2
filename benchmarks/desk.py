"""The desk's real posting path (fraud screen and audit trail attached) against pgbench, side by side.

    python benchmarks/desk.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--seconds 10]
                              [--rounds 1] [--customers 2000] [--days 60] [--traffic-days 30] [--json]

Measures, in one run:
- the demo bank (``app.demo.seed_demo_bank``: customers, months of history, demo users and its trained fraud
  model) seeded into a throw-away PostgreSQL database;
- 1 and 8 desk PROCESSES, each building ``Services.build(...)`` as a console does and posting through its
  ``.ledger`` (fraud screen, audit trail, live updates): transfers/s, p50/p99 latency and the decision mix
  (approve, review = held, decline = never posted, refused = a ledger rule said no);
- ``pgbench -b tpcb-like`` at the same client counts and duration, in its own throw-away database, and the
  ratio desk/pgbench;
- where the time goes: the CPU the whole machine spends per transfer in each timed run (desks or pgbench, the
  server, everything else; Linux ``/proc/stat``) and the desks' own CPU per transfer. On a machine the runs
  keep busy, tps is about the cores divided by the machine CPU per transfer;
- one desk on SQLite (a smaller demo bank in a temporary file; reported, no reference);
- how fast the command line starts: ``qenex --help`` and ``qenex balance ACC`` (on the throw-away database),
  process start to exit, median of several runs.

The traffic is the demo bank's own story continued past its history (``benchmarks/desk_story.py``): every
payment its customers make on the days after the history, in time order (card purchases, transfers at the
desk, rent, and the story's frauds at the story's rate), each posted at the story's own time (the desks'
ledger clock reads it), so the fraud screen sees each customer's own pace whatever the desks' throughput.
Desks take the next payment from one shared cursor. Before the runs every customer gets a salary (so few
payments bounce). The decision mix also counts the story's frauds among the posted payments.

Until 2026-11-30 the traffic was made up (rent, family transfers and bills on a business clock running six
hours a second, at any hour, with no card spending between them) and the screen held 8-10 % of it at one desk
and up to a quarter at eight, against 0.16 % of the story's own desk payments: see desk_story.py.

Nothing of the user's is touched: both databases are dropped at the end (the SQLite file is temporary).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.desk_story import Bank, Payment, continued, read_bank  # noqa: E402
from benchmarks.ledger import PgBench, percentile  # noqa: E402
from core.persistence.db import make_engine  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DESKS = (1, 8)
DECISIONS = ("approve", "review", "decline", "refused")
PAYDAY = 20_000_00  # minor units of USD each customer is paid before the runs


# -- the demo bank ---------------------------------------------------------------------------------------------
def payday(ledger: Any, accounts: list[str]) -> None:
    """Every customer's salary from the clearing account, in one batch (as a payroll file is)."""
    from core.ledger.views import TransferRequest
    from core.security.roles import SYSTEM_ACTOR

    clearing = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["clearing"].number
    tag = uuid.uuid4().hex[:6]
    results = ledger.post_batch(SYSTEM_ACTOR, [TransferRequest(f"pay-{tag}-{i}", clearing, account, PAYDAY, "USD",
                                                               code="salary", description="salary", channel="payment")
                                               for i, account in enumerate(accounts)])
    refused = [r for r in results if isinstance(r, Exception)]
    if refused:
        raise RuntimeError(f"payday refused {len(refused)} salaries: {refused[0]!r}")


def seed_bank(url: str, data_dir: Path, customers: int, days: int, say: Any) -> Bank:
    """Migrate ``url``, seed the demo bank (history, users, trained model), pay salaries; the bank's accounts."""
    from app.demo import seed_demo_bank
    from app.services import Services
    from app.settings import Settings
    from core.persistence import migrate

    engine = make_engine(url, pool_size=2)
    try:
        migrate.upgrade(engine)
        settings = Settings(database_url=url, redis_url=None, data_dir=data_dir)
        started = time.monotonic()
        report = seed_demo_bank(settings, engine, customers=customers, days=days)
        say(f"  seeded {report.bank.customers:,} customers, {report.bank.transfers:,} transfers of history, "
            f"model {report.model} in {time.monotonic() - started:.0f}s")
        bank = read_bank(engine, customers, days)
        services = Services.build(settings, engine)
        try:
            payday(services.ledger, [n for role, n in bank.numbers.items() if role[0] == "cust"])
        finally:
            services.close()
        return bank
    finally:
        engine.dispose()


class ThrowAwayDatabase:
    """A new, empty PostgreSQL database on the server of ``url``; dropped by ``close``."""

    def __init__(self, url: str, prefix: str) -> None:
        u = make_url(url)
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.admin_url = u.set(drivername="postgresql+psycopg")
        self._sql(f'CREATE DATABASE "{self.name}"')
        self.url = u.set(database=self.name).render_as_string(hide_password=False)

    def _sql(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def close(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- desks ---------------------------------------------------------------------------------------------------
class StoryClock:
    """A desk's ledger clock: the story time of the payment it is posting."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Cursor:
    """The next payment of the story, shared by the desk processes (``multiprocessing`` value)."""

    def __init__(self, traffic: list[Payment], value: Any) -> None:
        self.traffic, self.value = traffic, value

    def take(self) -> Payment:
        with self.value.get_lock():
            i = self.value.value
            self.value.value = i + 1
        if i >= len(self.traffic):
            raise RuntimeError(f"the story's {len(self.traffic):,} payments ran out: pass a larger --traffic-days")
        return self.traffic[i]


def desk_loop(ledger: Any, actor: Any, cursor: Cursor, tag: str, seconds: float, gate: Any,
              warmup: int = 30) -> tuple[list[float], dict[str, int]]:
    """Post the story's payments back to back for ``seconds`` after ``gate``: (latencies, decision counts;
    ``frauds_*``: the decisions on the story's frauds among them; ``held_CHANNEL``: normal payments of the
    channel not approved)."""
    from core.errors import QenexError
    from core.ledger.errors import TransferDeclined

    counts = dict.fromkeys(DECISIONS, 0) | {f"frauds_{d}": 0 for d in DECISIONS}
    clock = ledger.clock = StoryClock(datetime.now(timezone.utc))

    def post(tid: str) -> tuple[str, Payment]:
        payment = cursor.take()
        clock.at = payment.at
        try:
            result = ledger.transfer(actor, payment.request(tid))
        except TransferDeclined:
            return "decline", payment
        except QenexError:
            return "refused", payment
        return (result.fraud.decision if result.fraud is not None else "approve"), payment

    for i in range(warmup):
        post(f"{tag}-warm-{i}")
    gate()
    latencies: list[float] = []
    cpu, busy = time.process_time(), machine_busy()
    deadline = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < deadline:
        decision, payment = post(f"{tag}-{len(latencies)}")
        counts[decision] += 1
        if payment.fraud:
            counts[f"frauds_{decision}"] += 1
        elif decision in ("review", "decline"):
            counts[f"held_{payment.channel}"] = counts.get(f"held_{payment.channel}", 0) + 1
        latencies.append(time.perf_counter() - t0)
    counts["_cpu_s"] = time.process_time() - cpu  # this desk's own CPU over the timed run
    counts["_busy"] = (busy, machine_busy())
    return latencies, counts


def machine_busy() -> float | None:
    """Seconds of CPU the whole machine has spent busy since boot (Linux ``/proc/stat``; None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(values) - values[3] - (values[4] if len(values) > 4 else 0)) / os.sysconf("SC_CLK_TCK")


def _desk_process(url: str, data_dir: str, cursor: Cursor, tag: str, seconds: float, gate: Any,
                  results: Any) -> None:
    """A desk as its own process, as each console is: its own Services over its own engine."""
    from app.services import Services
    from app.settings import Settings
    from core.security.roles import Actor, Role

    engine = make_engine(url, pool_size=2)
    services = None
    try:
        services = Services.build(Settings(database_url=url, redis_url=None, data_dir=Path(data_dir)), engine)
        actor = Actor("tom", Role.TELLER, device=services.device)
        results.put((*desk_loop(services.ledger, actor, cursor, tag, seconds, gate.wait), None))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent, the run is then invalid
        gate.abort()
        results.put(([], {}, repr(exc)))
    finally:
        if services is not None:
            services.close()
        engine.dispose()


def bench_desks(url: str, data_dir: Path, cursor: Cursor, desks: int, seconds: float, tag: str) -> dict:
    ctx = multiprocessing.get_context()
    gate, results = ctx.Barrier(desks), ctx.Queue()
    procs = [ctx.Process(target=_desk_process, daemon=True,
                         args=(url, str(data_dir), cursor, f"{tag}-{desks}-{k}", seconds, gate, results))
             for k in range(desks)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=seconds + 300) for _ in procs]
    for proc in procs:
        proc.join()
    failed = [err for _, _, err in outcomes if err]
    if failed:
        raise RuntimeError(f"a desk failed: {failed[0]}")
    flat = sorted(x for lat, _, _ in outcomes for x in lat)
    mix = {d: sum(c[d] for _, c, _ in outcomes) for d in DECISIONS}
    frauds = {d: sum(c[f"frauds_{d}"] for _, c, _ in outcomes) for d in DECISIONS}
    held: dict[str, int] = {}
    for _, c, _ in outcomes:
        for key, value in c.items():
            if key.startswith("held_"):
                held[key[5:]] = held.get(key[5:], 0) + value
    out = {"tps": len(flat) / seconds, "count": len(flat), "p50_ms": percentile(flat, 0.50) * 1000,
           "p99_ms": percentile(flat, 0.99) * 1000, "decisions": mix, "frauds": frauds,
           "held_normal": held,
           "client_cpu_ms": 1000 * sum(c["_cpu_s"] for _, c, _ in outcomes) / max(len(flat), 1)}
    spans = [c["_busy"] for _, c, _ in outcomes if None not in c["_busy"]]
    if spans:  # the whole machine (desks, PostgreSQL, everything else) per transfer, over the timed window
        out["machine_cpu_ms"] = 1000 * (max(b for _, b in spans) - min(a for a, _ in spans)) / max(len(flat), 1)
    return out


def bench_sqlite(customers: int, days: int, seconds: float, traffic_days: int, say: Any) -> dict:
    """One desk on a SQLite demo bank in a temporary folder (report only)."""
    from app.services import Services
    from app.settings import Settings
    from core.security.roles import Actor, Role

    with tempfile.TemporaryDirectory(prefix="qenex-desk-sqlite-") as folder:
        url = f"sqlite:///{Path(folder) / 'bank.db'}"
        bank = seed_bank(url, Path(folder), customers, days, say)
        engine = make_engine(url)
        services = Services.build(Settings(database_url=url, redis_url=None, data_dir=Path(folder)), engine)
        try:
            actor = Actor("tom", Role.TELLER, device=services.device)
            cursor = Cursor(continued(bank, traffic_days), multiprocessing.Value("q", 0))
            lat, mix = desk_loop(services.ledger, actor, cursor, uuid.uuid4().hex[:6], seconds, lambda: None)
        finally:
            services.close()
            engine.dispose()
    lat.sort()
    return {"tps": len(lat) / seconds, "p50_ms": percentile(lat, 0.5) * 1000, "p99_ms": percentile(lat, 0.99) * 1000,
            "decisions": {d: mix[d] for d in DECISIONS}, "client_cpu_ms": 1000 * mix["_cpu_s"] / max(len(lat), 1),
            "customers": customers, "days": days}


# -- command-line start-up -------------------------------------------------------------------------------------
def qenex_command() -> list[str]:
    script = Path(sys.executable).with_name("qenex")
    return [str(script)] if script.exists() else [sys.executable, "-c", "import sys; from app.cli import main; "
                                                                        "sys.exit(main())"]


def time_command(args: list[str], env: dict[str, str], runs: int) -> dict:
    """Median wall time (process start to exit) and CPU time (user + system) of ``qenex ARGS`` over ``runs``
    runs, after one warm-up run (which also writes the byte-code cache, as an installed copy has it)."""
    cmd = qenex_command() + args
    times, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[:300]}")
        if i:
            times.append(elapsed)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {"median_s": statistics.median(times), "min_s": min(times), "cpu_s": statistics.median(cpus), "runs": runs}


def bench_startup(url: str, account: str, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="qenex-desk-cli-") as folder:
        env = dict(os.environ, QENEX_DATABASE_URL=url, QENEX_DATA_DIR=folder)
        env.pop("QENEX_REDIS_URL", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed copy has its byte-code cache
        return {"help": time_command(["--help"], env, runs), "balance": time_command(["balance", account], env, runs)}


# -- report ----------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("QENEX_BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"PostgreSQL URL (default {DEFAULT_URL}); a throw-away database is made on its server")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each timed run (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measurement; report medians (default 1)")
    parser.add_argument("--customers", type=int, default=2_000, help="demo bank customers (default 2000)")
    parser.add_argument("--days", type=int, default=60, help="days of demo history (default 60)")
    parser.add_argument("--sqlite-customers", type=int, default=300,
                        help="customers of the SQLite demo bank (default 300; 0 skips SQLite)")
    parser.add_argument("--traffic-days", type=int, default=30,
                        help="days of the demo story after its history to draw the traffic from (default 30)")
    parser.add_argument("--scale", type=int, default=max(DESKS), help="pgbench scale factor (default 8)")
    parser.add_argument("--startup-runs", type=int, default=7, help="runs per command-line timing (default 7)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if make_url(args.url).get_backend_name() != "postgresql":
        parser.error("the benchmark needs a PostgreSQL URL (pgbench is the reference)")

    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    load = os.getloadavg()
    say(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
        + ("  (machine busy: compare ratios, not absolute figures)" if load[0] > 0.5 * (os.cpu_count() or 1) else ""))
    out: dict = {"load_average_start": [round(x, 2) for x in load], "cpus": os.cpu_count(), "seconds": args.seconds,
                 "rounds": args.rounds, "customers": args.customers, "days": args.days, "pgbench_scale": args.scale,
                 "traffic_days": args.traffic_days}
    runs: dict[str, list[float]] = {}
    mixes: dict[int, dict[str, int]] = {n: dict.fromkeys(DECISIONS, 0) for n in DESKS}
    fraud_mixes: dict[int, dict[str, int]] = {n: dict.fromkeys(DECISIONS, 0) for n in DESKS}
    held: dict[int, dict[str, int]] = {n: {} for n in DESKS}
    data_dir = Path(tempfile.mkdtemp(prefix="qenex-desk-"))
    bank = pgbench = None
    try:
        say(f"seeding the demo bank ({args.customers:,} customers, {args.days} days, trained model) "
            "in a throw-away database ...")
        bank = ThrowAwayDatabase(args.url, "qenex_desk")
        demo = seed_bank(bank.url, data_dir, args.customers, args.days, say)
        traffic = continued(demo, args.traffic_days)
        say(f"  traffic: the story's next {args.traffic_days} days, {len(traffic):,} payments "
            f"({sum(p.fraud for p in traffic):,} frauds, {sum(p.channel == 'desk' for p in traffic):,} at the desk)")
        say(f"pgbench -i -s {args.scale} in a throw-away database ...")
        pgbench = PgBench(args.url, args.scale)
        cursor = Cursor(traffic, multiprocessing.get_context().Value("q", 0))
        tag = uuid.uuid4().hex[:6]
        for round_no in range(args.rounds):
            for n in DESKS:  # each pair back to back, so both see the same machine
                say(f"[{round_no + 1}/{args.rounds}] desk path, {n} desk process(es), {args.seconds:g}s ...")
                res = bench_desks(bank.url, data_dir, cursor, n, args.seconds, f"{tag}{round_no}")
                for key in ("tps", "p50_ms", "p99_ms", "client_cpu_ms", "machine_cpu_ms"):
                    if key in res:
                        runs.setdefault(f"desk_{key}_{n}", []).append(res[key])
                for d in DECISIONS:
                    mixes[n][d] += res["decisions"][d]
                    fraud_mixes[n][d] += res["frauds"][d]
                for channel, count in res["held_normal"].items():
                    held[n][channel] = held[n].get(channel, 0) + count
                say(f"[{round_no + 1}/{args.rounds}] pgbench tpcb-like -c {n} -j {min(2, n)} "
                    f"-T {max(1, round(args.seconds))} ...")
                busy = machine_busy()
                res = pgbench.run(n, args.seconds)
                if busy is not None:
                    res["machine_cpu_ms"] = 1000 * (machine_busy() - busy) / max(res["tps"] * args.seconds, 1)
                for key in ("tps", "p50_ms", "p99_ms", "machine_cpu_ms"):
                    if key in res:
                        runs.setdefault(f"pgbench_{key}_{n}", []).append(res[key])
        out.update({key: statistics.median(values) for key, values in runs.items()})
        for n in DESKS:
            out[f"ratio_{n}"] = out[f"desk_tps_{n}"] / out[f"pgbench_tps_{n}"]
        out["decisions"] = mixes[max(DESKS)]
        out["decisions_1"] = mixes[1]
        out["decisions_frauds"] = fraud_mixes[max(DESKS)]
        out["decisions_frauds_1"] = fraud_mixes[1]
        out["held_normal"] = held[max(DESKS)]  # normal payments held or declined, by channel
        out["held_normal_1"] = held[1]
        if args.rounds > 1:
            out["runs"] = {key: [round(v, 2) for v in values] for key, values in runs.items()}
        say(f"command-line start-up, {args.startup_runs} runs each ...")
        startup = bench_startup(bank.url, demo.first_account(), args.startup_runs)
        out["cli_help_s"] = startup["help"]["median_s"]
        out["cli_balance_s"] = startup["balance"]["median_s"]
        out["cli_help_cpu_s"] = startup["help"]["cpu_s"]
        out["cli_balance_cpu_s"] = startup["balance"]["cpu_s"]
        with create_engine(bank.url).connect() as conn:
            out["versions"] = {"postgresql": conn.execute(text("SHOW server_version")).scalar_one(),
                               "pgbench": pgbench.version(), "python": platform.python_version(),
                               "sqlalchemy": sqlalchemy.__version__, "psycopg": psycopg.__version__}
    finally:
        if bank is not None:
            bank.close()
        if pgbench is not None:
            pgbench.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.sqlite_customers:
        say(f"one desk on SQLite ({args.sqlite_customers} customers, {min(args.days, 30)} days), "
            f"{args.seconds:g}s ...")
        sqlite = bench_sqlite(args.sqlite_customers, min(args.days, 30), args.seconds, args.traffic_days, say)
        out.update({f"sqlite_{k}": v for k, v in sqlite.items()})
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
        return 0
    print()
    print(f"{'':24}{'desk path':>12}{'pgbench':>12}{'ratio':>9}   decisions (approve/review/decline/refused)")
    for n in DESKS:
        mix = "/".join(str(mixes[n][d]) for d in DECISIONS)
        frauds = "/".join(str(fraud_mixes[n][d]) for d in DECISIONS)
        print(f"{f'{n} desk(s)  tps':24}{out[f'desk_tps_{n}']:12,.0f}{out[f'pgbench_tps_{n}']:12,.0f}"
              f"{out[f'ratio_{n}']:9.2f}   {mix} (the story's frauds: {frauds}; normal payments held or "
              f"declined: {', '.join(f'{k} {v}' for k, v in sorted(held[n].items())) or 'none'})")
        for q in ("p50", "p99"):
            print(f"{f'           {q} ms':24}{out[f'desk_{q}_ms_{n}']:12.2f}{out[f'pgbench_{q}_ms_{n}']:12.2f}")
        if f"desk_machine_cpu_ms_{n}" in out and f"pgbench_machine_cpu_ms_{n}" in out:
            print(f"{'           machine CPU ms':24}{out[f'desk_machine_cpu_ms_{n}']:12.2f}"
                  f"{out[f'pgbench_machine_cpu_ms_{n}']:12.2f}   per transfer (desks' own: "
                  f"{out[f'desk_client_cpu_ms_{n}']:.2f} ms)")
    if args.sqlite_customers:
        mix = "/".join(str(out["sqlite_decisions"][d]) for d in DECISIONS)
        print(f"{'1 desk SQLite  tps':24}{out['sqlite_tps']:12,.0f}{'':21}   {mix}")
        print(f"{'           p50/p99 ms':24}{out['sqlite_p50_ms']:6.2f}/{out['sqlite_p99_ms']:.2f}")
    print(f"qenex --help {out['cli_help_s']:.3f}s (CPU {out['cli_help_cpu_s']:.3f}s), qenex balance "
          f"{out['cli_balance_s']:.3f}s (CPU {out['cli_balance_cpu_s']:.3f}s), process start to exit, median of "
          f"{args.startup_runs}; targets 0.3 s and 0.5 s")
    print(f"targets: 8 desks >= 0.8 x pgbench with p99 < 10 ms: "
          f"{'met' if out['ratio_8'] >= 0.8 and out['desk_p99_ms_8'] < 10 else 'NOT met'}; "
          f"1 desk >= 1.0 x: {'met' if out['ratio_1'] >= 1.0 else 'NOT met'}")
    print(f"pgbench scale {args.scale}; {args.seconds:g}s per run; "
          f"{', '.join(f'{k} {v}' for k, v in out['versions'].items())}")
    print(f"load average start {out['load_average_start']}, end {out['load_average_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
