"""The server's work per desk transfer: WAL, backend CPU, row and index writes (issue 9; not a test).

    python benchmarks/desk_server.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                     [--customers 1000] [--days 30] [--transfers 3000] [--keep-template NAME]

Seeds the demo bank as ``benchmarks/desk.py`` does (its functions) into a throw-away database, then one desk
posts ``--transfers`` payments of the demo bank's story after its history (``benchmarks/desk_story.py``, at the
story's own times) through ``Services.build(...).ledger`` and this prints, per transfer:
- WAL records and bytes written by the desk's transactions (``pg_waldump`` over the run's LSN range, keeping
  the records of this database's relations and of the desk's transaction ids, so other databases on the same
  server do not count), by resource manager and by relation;
- the CPU of the desk's PostgreSQL backends (``/proc/<pid>/stat`` utime + stime; the server must be local);
- per table touched: rows inserted, updated (HOT of them), deleted; per index: entries read and scans.

``--template NAME`` reuses a database seeded earlier (copied, then migrated to head), ``--keep-template NAME``
keeps the seeded database under that name for later runs (drop it yourself). Other databases are dropped.
"""
from __future__ import annotations

import argparse
import collections
import glob
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.desk import Cursor, StoryClock, seed_bank  # noqa: E402
from benchmarks.desk_story import continued, read_bank  # noqa: E402
from core.persistence.db import make_engine  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_WAL_LINE = re.compile(r"rmgr: (\S+)\s+len \(rec/tot\):\s+(\d+)/\s*(\d+), tx:\s+(\d+), lsn: \S+, prev \S+, "
                       r"desc: (\S+)(.*)")
_REL = re.compile(r"rel (\d+)/(\d+)/(\d+)")
_FPW = re.compile(r"FPW|FPI")


def _admin(url: str, sql: str) -> None:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def _stats(conn) -> tuple[dict, dict]:  # noqa: ANN001
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))
    tables = {r[0]: r[1:] for r in conn.execute(text(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, seq_scan, idx_scan FROM pg_stat_user_tables"))}
    indexes = {(r[0], r[1]): r[2:] for r in conn.execute(text(
        "SELECT relname, indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes"))}
    return tables, indexes


def _waldump(start: str, end: str, db_oid: int, names: dict[int, str]) -> dict:
    """Records and bytes of this database's WAL between two LSNs (records of its relations, plus those of
    transactions that touched them: commits)."""
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_waldump"))
    wal_dir = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW data_directory"],
                             capture_output=True, text=True, check=True).stdout.strip() + "/pg_wal"
    if not binary or not os.access(wal_dir, os.R_OK):
        return {}
    out = subprocess.run([binary[-1], "-p", wal_dir, "-s", start, "-e", end], capture_output=True, text=True)
    records = []
    xids: set[int] = set()
    for line in out.stdout.splitlines():
        m = _WAL_LINE.match(line)
        if not m:
            continue
        rmgr, rec, tot, xid, desc, rest = m.groups()
        rels = _REL.findall(rest)
        mine = any(int(db) == db_oid for _, db, _ in rels)
        if mine and int(xid):
            xids.add(int(xid))
        records.append((rmgr, desc, int(tot), int(xid), mine, rels, bool(_FPW.search(rest))))
    by_kind: collections.Counter = collections.Counter()
    by_kind_bytes: collections.Counter = collections.Counter()
    by_rel: collections.Counter = collections.Counter()
    total = nbytes = fpw = 0
    for rmgr, desc, tot, xid, mine, rels, has_fpw in records:
        if not (mine or (xid and xid in xids)):
            continue
        total += 1
        nbytes += tot
        fpw += has_fpw
        by_kind[f"{rmgr}/{desc}"] += 1
        by_kind_bytes[f"{rmgr}/{desc}"] += tot
        if rels:
            by_rel[names.get(int(rels[0][2]), rels[0][2])] += 1
    return {"records": total, "bytes": nbytes, "fpw": fpw, "by_kind": by_kind, "by_kind_bytes": by_kind_bytes,
            "by_rel": by_rel, "transactions": len(xids)}


def run(url: str, data_dir: Path, retail: int, days: int, n: int, traffic_days: int, say) -> dict:  # noqa: ANN001
    from app.services import Services
    from app.settings import Settings
    from core.errors import QenexError
    from core.ledger.errors import TransferDeclined
    from core.security.roles import Actor, Role

    engine = make_engine(url, pool_size=2)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    traffic = iter(continued(read_bank(engine, retail, days), traffic_days))
    services = Services.build(Settings(database_url=url, redis_url=None, data_dir=data_dir), engine)
    clock = services.ledger.clock = StoryClock(datetime.now(timezone.utc))
    actor = Actor("tom", Role.TELLER, device=services.device)
    mix: collections.Counter = collections.Counter()
    tag = uuid.uuid4().hex[:6]

    def post(tid: str) -> None:
        try:
            payment = next(traffic)
            clock.at = payment.at
            result = services.ledger.transfer(actor, payment.request(tid))
            mix[result.fraud.decision if result.fraud is not None else "approve"] += 1
        except TransferDeclined:
            mix["decline"] += 1
        except QenexError:
            mix["refused"] += 1

    for i in range(200):
        post(f"{tag}-w{i}")
    mix.clear()
    db = make_url(url).database
    with admin.connect() as conn:
        db_oid = conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar_one()
        names = {r[0]: r[1] for r in conn.execute(text(
            "SELECT pg_relation_filenode(oid), relname FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL"))}
        me = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pids = [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> :me"),
                                           {"d": db, "me": me})]
        time.sleep(1.5)
        tables0, indexes0 = _stats(conn)
        lsn0 = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
    cpu0 = {p: _cpu_ticks(p) for p in pids}
    perf = None
    if os.environ.get("PERFDB_PERF"):  # sample the desk's backends (perf, software clock) into that file
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-g", "-o",
                                 os.environ["PERFDB_PERF"], "-p", ",".join(map(str, pids))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        post(f"{tag}-{i}")
    elapsed, client = time.perf_counter() - t0, time.process_time() - c0
    if perf is not None:
        perf.send_signal(2)
        perf.wait()
    with admin.connect() as conn:
        lsn1 = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
        wal_all = conn.execute(text("SELECT pg_wal_lsn_diff(:b, :a)"), {"a": lsn0, "b": lsn1}).scalar_one()
        later = [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": db})]
    ticks = sum(_cpu_ticks(p) - cpu0.get(p, 0) for p in set(pids) | set(later) if p in cpu0)
    new_pids = [p for p in later if p not in cpu0]
    with services.ledger._autocommit.cursor() as cur:  # the desk's own session: how its statements were planned
        cur.execute("SELECT generic_plans, custom_plans, left(regexp_replace(statement, '\\s+', ' ', 'g'), 70) "
                    "FROM pg_prepared_statements ORDER BY generic_plans + custom_plans DESC LIMIT 12")
        plans = cur.fetchall()
    say("prepared statements of the desk's session (generic plans, custom plans, text):")
    for generic, custom, sql in plans:
        say(f"  {generic:6} {custom:6}  {sql}")
    services.close()
    engine.dispose()
    time.sleep(1.5)
    with admin.connect() as conn:
        tables1, indexes1 = _stats(conn)
    admin.dispose()
    wal = _waldump(lsn0, lsn1, db_oid, names)
    hz = os.sysconf("SC_CLK_TCK")
    out = {"n": n, "tps": n / elapsed, "client_cpu_ms": 1000 * client / n, "backend_cpu_ms": 1000 * ticks / hz / n,
           "new_backends": len(new_pids), "wal_lsn_bytes_all_dbs": float(wal_all) / n, "mix": dict(mix)}
    if wal:
        out.update(wal_records=wal["records"] / n, wal_bytes=wal["bytes"] / n, wal_fpw=wal["fpw"] / n,
                   wal_xacts=wal["transactions"] / n)
    say(f"{n} transfers in {elapsed:.1f}s = {out['tps']:.0f}/s (one desk), mix {dict(mix)}")
    say(f"desk CPU {out['client_cpu_ms']:.3f} ms, backend CPU {out['backend_cpu_ms']:.3f} ms per transfer "
        f"(+{len(new_pids)} backends opened during the run, not counted)")
    if wal:
        say(f"WAL {out['wal_records']:.1f} records, {out['wal_bytes']:.0f} bytes per transfer "
            f"({out['wal_fpw']:.2f} with full-page images; {out['wal_xacts']:.2f} transactions); "
            f"LSN advanced {out['wal_lsn_bytes_all_dbs']:.0f} bytes per transfer over the whole server")
        for kind, count in wal["by_kind"].most_common(25):
            say(f"  {kind:40} {count / n:6.2f} rec {wal['by_kind_bytes'][kind] / n:8.0f} B")
        say("  by relation:")
        for rel, count in wal["by_rel"].most_common(30):
            say(f"    {rel:50} {count / n:6.2f}")
    say("tables (per transfer): ins upd hot del seq_scan idx_scan")
    for name in sorted(tables1):
        d = [b - a for a, b in zip(tables0.get(name, (0,) * 6), tables1[name])]
        if any(d):
            say(f"  {name:28} " + " ".join(f"{v / n:6.2f}" for v in d))
    say("indexes (per transfer): scans tup_read")
    for key in sorted(indexes1):
        d = [(b or 0) - (a or 0) for a, b in zip(indexes0.get(key, (0, 0)), indexes1[key])]
        if any(d):
            say(f"  {key[0] + '.' + key[1]:60} " + " ".join(f"{v / n:6.2f}" for v in d))
    out["tables"] = {k: [b - a for a, b in zip(tables0.get(k, (0,) * 6), v)] for k, v in tables1.items()}
    return out


def desks(url: str, data_dir: Path, retail: int, days: int, n: int, seconds: float, traffic_days: int,
          say) -> dict:  # noqa: ANN001
    """``n`` desk processes as ``benchmarks/desk.py`` runs them; also the database's rolled-back transactions
    (the checked writes judged again, and every pooled connection's reset: an upper bound)."""
    from benchmarks.desk import bench_desks

    engine = make_engine(url, pool_size=1)
    cursor = Cursor(continued(read_bank(engine, retail, days), traffic_days), multiprocessing.Value("q", 0))
    rollbacks = text("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()")
    with engine.connect() as conn:
        before = conn.execute(rollbacks).scalar_one()
    res = bench_desks(url, data_dir, cursor, n, seconds, uuid.uuid4().hex[:6])
    time.sleep(1.5)
    with engine.connect() as conn:
        res["rollbacks"] = conn.execute(rollbacks).scalar_one() - before
    engine.dispose()
    say(f"{n} desk(s): {res['tps']:.0f} transfers/s, p50 {res['p50_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms, "
        f"machine CPU {res.get('machine_cpu_ms', 0):.2f} ms/transfer (desks' own {res['client_cpu_ms']:.2f}), {res['rollbacks']} "
        f"rolled back, pool resets included ({100 * res['rollbacks'] / max(res['count'], 1):.1f} %), {res['decisions']}")
    return res


def main(argv: list[str] | None = None) -> int:
    from core.persistence import migrate

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--customers", type=int, default=1000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--transfers", type=int, default=3000)
    p.add_argument("--traffic-days", type=int, default=30, help="days of the demo story after its history to post")
    p.add_argument("--desks", type=lambda v: [int(x) for x in v.split(",")],
                   help="instead: run benchmarks/desk.py's desk processes, e.g. 1,8, for --seconds each")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--setup-sql", help="SQL run on the copy before the run (an experiment: an index dropped ...)")
    p.add_argument("--template", help="a database seeded earlier (kept with --keep-template) to copy")
    p.add_argument("--keep-template", help="keep the seeded database under this name")
    p.add_argument("--data-dir", help="the data folder of the template's seed (default: a temporary one)")
    args = p.parse_args(argv)
    say = print
    name = f"perfdb_{uuid.uuid4().hex[:8]}"
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="perfdb-"))
    template = args.template
    if template is None:
        template = args.keep_template or f"perfdb_{uuid.uuid4().hex[:8]}"
        _admin(args.url, f'CREATE DATABASE "{template}"')
        seed_bank(make_url(args.url).set(database=template).render_as_string(hide_password=False), data_dir,
                  args.customers, args.days, say)
        say(f"seeded {template} (data folder {data_dir})")
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        _admin(args.url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        engine = make_engine(url, pool_size=1)
        migrate.upgrade(engine)
        if args.setup_sql:  # an experiment on the copy (e.g. an index dropped), before the run
            with engine.begin() as conn:
                conn.execute(text(args.setup_sql))
        engine.dispose()
        if args.desks:
            for n in args.desks:
                desks(url, data_dir, args.customers, args.days, n, args.seconds, args.traffic_days, say)
        else:
            run(url, data_dir, args.customers, args.days, args.transfers, args.traffic_days, say)
    finally:
        _admin(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not args.keep_template and not args.template:
            _admin(args.url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
