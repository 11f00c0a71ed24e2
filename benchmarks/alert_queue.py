"""The fraud queue at 1,000,000 alerts: query speed of the queue's pages, counts and Next, and how smooth the
console stays while an analyst scrolls the lazy table through it.

    QT_QPA_PLATFORM=offscreen python benchmarks/alert_queue.py [--alerts 1000000] [--url postgresql+psycopg://...] [--json]

Without ``--url`` the bank is a temporary SQLite file; with it, a throw-away schema on that PostgreSQL
server (dropped at the end). Alerts are bulk-inserted (60 % open or escalated, 40 % closed, spread over
90 days, with their rule links). Every figure stands next to a reference measured in the same run:

- queue pages (100 rows at the top, middle and end, for the default order and five filters/sorts) against
  the same page read in primary-key order with no filter;
- counts against ``count(*)`` of the whole table;
- Next (claim the most urgent unclaimed alert) against an UPDATE of one alert by primary key;
- UI smoothness: a 10 ms timer on the UI thread while the queue page scrolls through the million alerts
  (every jump loads its page on the worker), against the same timer with the UI idle.

Targets: worst UI stall < 50 ms; Next < 20 ms (p50); a page of any order < 100 ms (p50) on PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from core.cases.queue import AlertFilter  # noqa: E402
from core.persistence import migrate  # noqa: E402
from core.persistence.db import make_engine  # noqa: E402
from core.security.roles import Actor, Role  # noqa: E402

ANALYST = Actor("bench", Role.ANALYST, device="bench")
RULES = ("amount_limit", "velocity_limit", "amount_vs_card", "new_device", "counterparty_risk", "anomaly")
CHANNELS = ("card", "online", "mobile", "desk")
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Hedy Lamarr", "Emmy Noether", "Claude Shannon",
         "Barbara Liskov", "Donald Knuth", "Katherine Johnson", "Margaret Hamilton")
COLUMNS = ("transfer_id", "score", "decision", "reasons", "status", "created_at", "updated_at", "updated_by", "source",
           "rule", "rules", "customer_id", "customer_name", "account", "beneficiary", "amount", "amount_scaled",
           "currency", "channel", "counterparty", "band", "due_at", "outcome", "resolution", "closed_at", "closed_by")


def _rows(n: int, now: datetime, seed: int = 3):  # noqa: ANN202
    rnd = random.Random(seed)
    for i in range(n):
        created = now - timedelta(seconds=rnd.randint(0, 90 * 86400))
        score = round(rnd.uniform(0.5, 0.9), 4)
        band, minutes = ("high", 60) if score >= 0.8 else ("medium", 240) if score >= 0.65 else ("low", 1440)
        closed = rnd.random() < 0.4
        rule = RULES[i % len(RULES)]
        amount = rnd.randint(100, 500_000)
        yield (f"bench-{i:07d}", score, "review", '["amount over the limit"]', "closed" if closed else
               ("escalated" if rnd.random() < 0.03 else "open"), created, created, "system", "screen", rule,
               f'["{rule}"]', i % 50_000, f"{NAMES[i % len(NAMES)]} {i % 50_000}", f"10{i % 50_000:08d}",
               f"10{(i * 7) % 50_000:08d}", amount, amount * 100, "USD", CHANNELS[i % len(CHANNELS)], f"T{i % 9000:05d}",
               band, created + timedelta(minutes=minutes), "TRUE_POSITIVE" if closed and i % 3 == 0 else
               ("FALSE_POSITIVE" if closed else None), "disposition" if closed else None,
               created + timedelta(hours=2) if closed else None, "bench" if closed else None)


def fill(engine, n: int) -> float:  # noqa: ANN001
    """Bulk-insert ``n`` alerts and their rule links; returns the seconds it took."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    chunk, batch = 20_000, []
    cols = ", ".join(COLUMNS)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY fraud_alerts ({cols}) FROM STDIN") as copy:
                for row in _rows(n, now):
                    copy.write_row(row)
            cur.execute("INSERT INTO fraud_alert_links (kind, key, alert_id) SELECT 'rule', rule, id FROM fraud_alerts")
            cur.execute("ANALYZE fraud_alerts")
            cur.execute("ANALYZE fraud_alert_links")
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO fraud_alerts ({cols}) VALUES ({marks})"

            def naive(row: tuple) -> tuple:
                return tuple(v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v for v in row)

            for row in _rows(n, now):
                batch.append(naive(row))
                if len(batch) >= chunk:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
            cur.execute("INSERT INTO fraud_alert_links (kind, key, alert_id) SELECT 'rule', rule, id FROM fraud_alerts")
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def queries(desk, engine, n: int) -> dict:  # noqa: ANN001
    """Pages and counts of the queue's orders and filters, each against its primary-key reference."""
    out: dict[str, object] = {}
    total = desk.count(ANALYST, AlertFilter(status="all"))
    with engine.connect() as conn:
        ref_count = timed(lambda: conn.execute(text("SELECT count(*) FROM fraud_alerts")).scalar())
        ref_pages = {where: timed(lambda off=off: conn.execute(
            text("SELECT * FROM fraud_alerts ORDER BY id LIMIT 100 OFFSET :o"), {"o": off}).all())
            for where, off in (("top", 0), ("middle", total // 2), ("end", max(0, total - 100)))}
    out["reference"] = {"count_ms": round(ref_count, 2), **{f"page_{k}_ms": round(v, 2) for k, v in ref_pages.items()}}
    cases = {"default (active, priority)": AlertFilter(), "sort by amount": AlertFilter(sort="amount"),
             "newest first": AlertFilter(sort="newest"), "channel online": AlertFilter(channel="online"),
             "rule amount_limit": AlertFilter(rule="amount_limit"), "unassigned": AlertFilter(assignee="unassigned"),
             "customer search": AlertFilter(text="hopper 123")}
    for name, f in cases.items():
        rows = desk.count(ANALYST, f)
        count_ms = timed(lambda f=f: desk.count(ANALYST, f), 3)
        pages = {}
        for where, off in (("top", 0), ("middle", rows // 2), ("end", max(0, rows - 100))):
            pages[where] = timed(lambda f=f, off=off: desk.alerts(ANALYST, f, off, 100), 3)
        out[name] = {"rows": rows, "count_ms": round(count_ms, 2),
                     **{f"page_{k}_ms": round(v, 2) for k, v in pages.items()},
                     "page_top_ratio": round(pages["top"] / max(ref_pages["top"], 0.01), 2),
                     "page_end_ratio": round(pages["end"] / max(ref_pages["end"], 0.01), 2)}
    return out


def nexts(desk, engine, tries: int = 200) -> dict:  # noqa: ANN001
    """Next (claim the most urgent unclaimed alert) against an UPDATE of one alert by primary key."""
    lat = []
    for i in range(tries):
        actor = Actor(f"analyst{i % 20}", Role.ANALYST, device="bench")
        t = time.perf_counter()
        desk.next(actor)
        lat.append((time.perf_counter() - t) * 1000)
    ref = []
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM fraud_alerts ORDER BY id LIMIT :n"), {"n": tries})]
    for alert_id in ids:
        t = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("UPDATE fraud_alerts SET updated_by = 'bench' WHERE id = :i"), {"i": alert_id})
        ref.append((time.perf_counter() - t) * 1000)
    lat.sort()
    ref.sort()
    return {"next_p50_ms": round(lat[len(lat) // 2], 2), "next_p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
            "update_by_pk_p50_ms": round(ref[len(ref) // 2], 2),
            "ratio_p50": round(lat[len(lat) // 2] / max(ref[len(ref) // 2], 0.01), 2)}


def ui(services, jumps: int = 60) -> dict:  # noqa: ANN001
    """Scroll the queue page through every region of the million alerts while a 10 ms timer measures stalls."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.tasks import favour_ui_thread
    from benchmarks.ui_responsiveness import LatenessProbe
    from ui.fraud.page import FraudPage

    app = QApplication.instance() or QApplication([])
    page = FraudPage(services, ANALYST)
    page.resize(1400, 900)
    page.show()
    model, table = page.queue.model, page.queue.table
    loop = QEventLoop()
    model.loaded.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    favour_ui_thread()
    idle = LatenessProbe()
    idle.start()
    wait = QEventLoop()
    QTimer.singleShot(3000, wait.quit)
    wait.exec()
    idle.stop()
    probe = LatenessProbe()
    arrivals: list[float] = []
    asked: dict[int, float] = {}
    request = model._request  # noqa: SLF001 - stamp each page request to time its arrival

    def stamped(page_no: int) -> None:
        asked.setdefault(page_no, time.perf_counter())
        request(page_no)

    model._request = stamped  # noqa: SLF001

    def arrived(page_no: int) -> None:
        if page_no in asked:
            arrivals.append((time.perf_counter() - asked.pop(page_no)) * 1000)

    model.page_loaded.connect(arrived)
    bar = table.verticalScrollBar()
    rnd = random.Random(1)
    probe.start()
    started = time.perf_counter()
    for i in range(jumps):
        target = bar.maximum() * i // max(1, jumps - 1) if i % 2 == 0 else rnd.randint(0, bar.maximum())
        bar.setValue(target)
        step = QEventLoop()
        QTimer.singleShot(120, step.quit)  # an analyst's drag: a new position every ~0.1 s
        step.exec()
        for _ in range(40):  # then a few wheel ticks row by row
            bar.setValue(bar.value() + 3)
            app.processEvents()
    settle = QEventLoop()
    QTimer.singleShot(1500, settle.quit)
    settle.exec()
    probe.stop()
    elapsed = time.perf_counter() - started
    arrivals.sort()
    result = {"rows": model.rowCount(), "jumps": jumps, "seconds": round(elapsed, 1), "idle": idle.summary(),
              "scrolling": probe.summary(),
              "page_arrival_p50_ms": round(arrivals[len(arrivals) // 2], 1) if arrivals else None,
              "page_arrival_p90_ms": round(arrivals[int(len(arrivals) * 0.9)], 1) if arrivals else None}
    page.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--url", help="a PostgreSQL URL (a throw-away schema is made and dropped)")
    parser.add_argument("--no-ui", action="store_true", help="skip the UI scrolling measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from app.services import Services
    from app.settings import Settings
    from app.tasks import TaskManager

    tmp = Path(tempfile.mkdtemp(prefix="qenex-queue-bench-"))
    schema = None
    if args.url:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in args.url else "?"
        engine = make_engine(f"{args.url}{sep}options=-csearch_path%3D{schema}")
    else:
        engine = make_engine(f"sqlite:///{tmp / 'bank.db'}")
    try:
        migrate.upgrade(engine)
        report: dict[str, object] = {"backend": engine.dialect.name, "alerts": args.alerts}
        report["fill_seconds"] = round(fill(engine, args.alerts), 1)
        services = Services.build(Settings(str(engine.url), None, tmp), engine)
        report["queries"] = queries(services.fraud, engine, args.alerts)
        if not args.no_ui:
            from PySide6.QtWidgets import QApplication

            QApplication.instance() or QApplication([])
            TaskManager.set_shared(TaskManager())
            report["ui"] = ui(services)
            TaskManager.shared().shutdown(wait=True)
        report["next"] = nexts(services.fraud, engine)
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


def _print(report: dict) -> None:
    print(f"{report['backend']}: {report['alerts']:,} alerts, filled in {report['fill_seconds']} s")
    q = report["queries"]
    ref = q.pop("reference")
    print(f"reference (primary key, no filter): count {ref['count_ms']} ms; page top/middle/end "
          f"{ref['page_top_ms']}/{ref['page_middle_ms']}/{ref['page_end_ms']} ms")
    for name, r in q.items():
        print(f"  {name:28} {r['rows']:>9,} rows  count {r['count_ms']:>8} ms  page top {r['page_top_ms']:>7} ms "
              f"middle {r['page_middle_ms']:>8} ms  end {r['page_end_ms']:>8} ms  (top {r['page_top_ratio']}x, "
              f"end {r['page_end_ratio']}x reference)")
    n = report["next"]
    print(f"Next: p50 {n['next_p50_ms']} ms, p99 {n['next_p99_ms']} ms; UPDATE by primary key p50 "
          f"{n['update_by_pk_p50_ms']} ms (ratio {n['ratio_p50']})")
    if "ui" in report:
        u = report["ui"]
        print(f"UI while scrolling {u['rows']:,} rows ({u['jumps']} jumps): worst stall {u['scrolling']['worst']:.1f} ms, "
              f"p99 {u['scrolling']['p99']:.1f} ms; idle reference worst {u['idle']['worst']:.1f} ms, "
              f"p99 {u['idle']['p99']:.1f} ms; page arrives p50 {u['page_arrival_p50_ms']} ms, "
              f"p90 {u['page_arrival_p90_ms']} ms")


if __name__ == "__main__":
    sys.exit(main())
