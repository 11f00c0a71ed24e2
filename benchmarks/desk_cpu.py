"""The desk process's own CPU per transfer on the desk path, for quick before/after loops (issue 9).

    python benchmarks/desk_cpu.py seed [--url URL] [--name NAME] [--customers 500] [--days 30]
    python benchmarks/desk_cpu.py run  [--url URL] [--name NAME] [-n 2000] [--warmup 100] [--profile FILE]
    python benchmarks/desk_cpu.py drop [--url URL] [--name NAME]

``seed`` makes a PostgreSQL database NAME (default ``desk_cpu_bank``) on the server of URL and seeds a small
demo bank into it as ``benchmarks/desk.py`` does (its customers are kept in ``NAME.pickle`` in the temporary
folder). ``run`` builds ``Services`` as a console does, pays every customer a salary (so few transfers bounce),
posts ``--warmup`` transfers, then ``-n`` more from this one process, and prints one JSON line: the process CPU
per transfer (user + system, ``resource.getrusage``), its system part, the wall time and the decision mix.
``--profile FILE`` writes a cProfile (thread CPU time) of the timed transfers. ``drop`` drops the database
and removes the files.

The business clock starts where the previous run's ended (plus three days), so repeated runs see the same
customer pace instead of their own history. CPU per transfer is what to compare: on a shared machine run
before/after back to back, several times (the code under test is the one on ``sys.path``: run it from each
tree).
"""
from __future__ import annotations

import argparse
import json
import pickle
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from benchmarks.desk import DECISIONS, BusinessClock, _request, payday, seed_bank  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _paths(name: str) -> tuple[Path, Path, Path]:
    folder = Path(tempfile.gettempdir())
    return folder / f"{name}.pickle", folder / f"{name}.clock", folder / f"{name}-data"


def _admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def seed(url: str, name: str, customers: int, days: int) -> None:
    from sqlalchemy.engine import make_url

    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    state, _clock, data = _paths(name)
    data.mkdir(exist_ok=True)
    bank = make_url(url).set(database=name).render_as_string(hide_password=False)
    people = seed_bank(bank, data, customers, days, print)
    state.write_bytes(pickle.dumps((bank, str(data), people)))


def drop(url: str, name: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    state, clock, data = _paths(name)
    state.unlink(missing_ok=True)
    clock.unlink(missing_ok=True)
    shutil.rmtree(data, ignore_errors=True)


def _cpu() -> tuple[float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_stime


def run(name: str, n: int, warmup: int, profile: str | None) -> dict:
    from app.services import Services
    from app.settings import Settings
    from core.errors import QenexError
    from core.ledger.errors import TransferDeclined
    from core.persistence.db import make_engine
    from core.security.roles import Actor, Role

    state, clock_file, _data = _paths(name)
    bank, data, people = pickle.loads(state.read_bytes())
    engine = make_engine(bank, pool_size=2)
    services = Services.build(Settings(database_url=bank, redis_url=None, data_dir=Path(data)), engine)
    try:
        origin = datetime.now(timezone.utc)
        if clock_file.exists():
            origin = max(origin, datetime.fromisoformat(clock_file.read_text()))
        clock = services.ledger.clock = BusinessClock(origin, time.time(), 6 * 3600)
        actor = Actor("tom", Role.TELLER, device=services.device)
        ledger, rnd, tag = services.ledger, random.Random(1), uuid.uuid4().hex[:6]
        counts = dict.fromkeys(DECISIONS, 0)

        def post(tid: str) -> str:
            try:
                result = ledger.transfer(actor, _request(rnd, people, tid))
            except TransferDeclined:
                return "decline"
            except QenexError:
                return "refused"
            return result.fraud.decision if result.fraud is not None else "approve"

        payday(ledger, people)
        for i in range(warmup):
            post(f"{tag}-w{i}")
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
        (cpu0, sys0), wall0 = _cpu(), time.perf_counter()
        for i in range(n):
            counts[post(f"{tag}-{i}")] += 1
        (cpu1, sys1), wall1 = _cpu(), time.perf_counter()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        clock_file.write_text((clock() + timedelta(days=3)).isoformat())
    finally:
        services.close()
        engine.dispose()
    return {"cpu_ms": round(1000 * (cpu1 - cpu0) / n, 3), "sys_ms": round(1000 * (sys1 - sys0) / n, 3),
            "wall_ms": round(1000 * (wall1 - wall0) / n, 3), **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("seed", "run", "drop"))
    parser.add_argument("--url", default=DEFAULT_URL, help=f"PostgreSQL server (default {DEFAULT_URL})")
    parser.add_argument("--name", default="desk_cpu_bank", help="the database seeded (default desk_cpu_bank)")
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("-n", type=int, default=2000, help="timed transfers (default 2000)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--profile", help="write a cProfile of the timed transfers to this file")
    args = parser.parse_args(argv)
    if args.action == "seed":
        seed(args.url, args.name, args.customers, args.days)
    elif args.action == "drop":
        drop(args.url, args.name)
    else:
        print(json.dumps(run(args.name, args.n, args.warmup, args.profile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
