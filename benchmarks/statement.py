"""Opening an account with 1,000,000 entries in the console, on SQLite and PostgreSQL.

    python benchmarks/statement.py [--entries 1000000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--json]

"Open" is what the Teller page's statement tab does when an account is selected: count the lines
(``core.teller.statement.count``), fetch the first page of 100 (``page``) and the period's opening and
closing balance (``summary``), each through ``Teller`` as the console calls it. Also measured: the last
page (scrolled to the end), a one-month period, and an amount filter. Reference in the same run: reading
every entry of the account (what a statement that loads everything up front costs). Target: open < 0.5 s.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from benchmarks.teller_data import Scratch, fill_customers, fill_entries  # noqa: E402
from core.ledger.service import Ledger  # noqa: E402
from core.persistence.models import Entry  # noqa: E402
from core.security.roles import SYSTEM_ACTOR  # noqa: E402
from core.teller.service import Teller  # noqa: E402
from core.teller.statement import StatementFilter  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def best_of(fn, runs: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def bench(backend: str, url: str, entries: int) -> dict:
    scratch = Scratch(backend, url)
    try:
        people = fill_customers(scratch.engine, 2)
        number = people[0][3]
        fill_entries(scratch.engine, 1, entries, START)
        teller = Teller(Ledger(scratch.engine))
        everything = StatementFilter()

        def open_account() -> None:
            n = teller.statement_count(SYSTEM_ACTOR, number, everything)
            teller.statement_page(SYSTEM_ACTOR, number, everything, 0, 100)
            teller.statement_summary(SYSTEM_ACTOR, number, everything)
            assert n == entries

        last = entries - 100
        month = StatementFilter(date_from=date(2024, 6, 1), date_to=date(2024, 6, 30))
        large = StatementFilter(min_amount=99_000, sort="largest")

        def read_all() -> None:
            with scratch.engine.connect() as conn:
                conn.execute(select(Entry.__table__).where(Entry.__table__.c.account_id == 1)).fetchall()

        return {
            "open_ms": best_of(open_account),
            "last_page_ms": best_of(lambda: teller.statement_page(SYSTEM_ACTOR, number, everything, last, 100)),
            "month_open_ms": best_of(lambda: (teller.statement_count(SYSTEM_ACTOR, number, month),
                                              teller.statement_page(SYSTEM_ACTOR, number, month, 0, 100),
                                              teller.statement_summary(SYSTEM_ACTOR, number, month))),
            "amount_filter_sorted_ms": best_of(lambda: teller.statement_page(SYSTEM_ACTOR, number, large, 0, 100), 3),
            "reference_read_all_ms": best_of(read_all, 3),
        }
    finally:
        scratch.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {b: bench(b, args.url, args.entries) for b in args.backends.split(",")}
    if args.json:
        print(json.dumps(results))
        return 0
    for backend, r in results.items():
        print(f"{backend}, one account with {args.entries:,} entries (median ms):")
        for key, value in r.items():
            print(f"  {key:<26} {value:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
