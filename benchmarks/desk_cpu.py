"""The desk process's own CPU per transfer on the desk path, for quick before/after loops (issue 9).

    python benchmarks/desk_cpu.py seed [--url URL] [--name NAME] [--customers 500] [--days 30] [--traffic-days 60]
    python benchmarks/desk_cpu.py run  [--url URL] [--name NAME] [-n 2000] [--warmup 100] [--profile FILE]
    python benchmarks/desk_cpu.py drop [--url URL] [--name NAME]

``seed`` makes a PostgreSQL database NAME (default ``desk_cpu_bank``) on the server of URL and seeds a small
demo bank into it as ``benchmarks/desk.py`` does (the bank and its story's next ``--traffic-days`` days of
payments are kept in ``NAME.pickle`` in the temporary folder). ``run`` builds ``Services`` as a console does,
pays every customer a salary (so few payments bounce), posts the story's next ``--warmup`` payments, then
``-n`` more from this one process, each at the story's own time (as ``benchmarks/desk.py``), and prints one
JSON line: the process CPU per transfer (user + system, ``resource.getrusage``), its system part, the wall
time and the decision mix.
``--profile FILE`` writes a cProfile (thread CPU time) of the timed transfers. ``drop`` drops the database
and removes the files.

Each run takes up the story where the previous one stopped (the bank's time never goes back); when it runs
out, seed again with more ``--traffic-days``. CPU per transfer is what to compare: on a shared machine run
before/after back to back, several times (the code under test is the one on ``sys.path``: run it from each
tree; both must know the seeded database's schema).
"""
from __future__ import annotations

import argparse
import json
import pickle
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from benchmarks.desk import DECISIONS, StoryClock, payday, seed_bank  # noqa: E402
from benchmarks.desk_story import continued  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _paths(name: str) -> tuple[Path, Path, Path]:
    folder = Path(tempfile.gettempdir())
    return folder / f"{name}.pickle", folder / f"{name}.offset", folder / f"{name}-data"


def _admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def seed(url: str, name: str, customers: int, days: int, traffic_days: int) -> None:
    from sqlalchemy.engine import make_url

    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    state, offset, data = _paths(name)
    data.mkdir(exist_ok=True)
    bank = make_url(url).set(database=name).render_as_string(hide_password=False)
    demo = seed_bank(bank, data, customers, days, print)
    state.write_bytes(pickle.dumps((bank, str(data), demo, continued(demo, traffic_days))))
    offset.write_text("0")


def drop(url: str, name: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    state, offset, data = _paths(name)
    state.unlink(missing_ok=True)
    offset.unlink(missing_ok=True)
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

    state, offset_file, _data = _paths(name)
    bank, data, demo, traffic = pickle.loads(state.read_bytes())
    offset = int(offset_file.read_text()) if offset_file.exists() else 0
    if offset + warmup + n > len(traffic):
        raise SystemExit(f"the story's {len(traffic):,} payments leave {len(traffic) - offset:,}: seed again with "
                         "more --traffic-days")
    story = iter(traffic[offset:offset + warmup + n])
    engine = make_engine(bank, pool_size=2)
    services = Services.build(Settings(database_url=bank, redis_url=None, data_dir=Path(data)), engine)
    try:
        clock = services.ledger.clock = StoryClock(datetime.now(timezone.utc))
        actor = Actor("tom", Role.TELLER, device=services.device)
        ledger, tag = services.ledger, uuid.uuid4().hex[:6]
        counts = dict.fromkeys(DECISIONS, 0)

        def post(tid: str) -> str:
            payment = next(story)
            clock.at = payment.at
            try:
                result = ledger.transfer(actor, payment.request(tid))
            except TransferDeclined:
                return "decline"
            except QenexError:
                return "refused"
            return result.fraud.decision if result.fraud is not None else "approve"

        payday(ledger, [number for role, number in demo.numbers.items() if role[0] == "cust"])
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
        offset_file.write_text(str(offset + warmup + n))
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
    parser.add_argument("--traffic-days", type=int, default=60, help="days of the story kept for runs (default 60)")
    parser.add_argument("-n", type=int, default=2000, help="timed transfers (default 2000)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--profile", help="write a cProfile of the timed transfers to this file")
    args = parser.parse_args(argv)
    if args.action == "seed":
        seed(args.url, args.name, args.customers, args.days, args.traffic_days)
    elif args.action == "drop":
        drop(args.url, args.name)
    else:
        print(json.dumps(run(args.name, args.n, args.warmup, args.profile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
