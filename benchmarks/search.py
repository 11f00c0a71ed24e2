"""Customer search at 100,000 customers on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm), side by side
with a reference measured in the same run: the same name queries as a plain ``ILIKE '%…%'`` scan (what a
search without the database's text index does).

    python benchmarks/search.py [--customers 100000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--json]

Queries are what a teller types: exact names, names with a typo or a dropped letter, the first letters
of a name, account numbers (exact, one digit wrong, partial), IBANs, phones and customer numbers. Each
query runs through ``core.teller.search.search`` (what the console calls); p50/p95/max in ms. Target:
every query under 50 ms.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from benchmarks.teller_data import Scratch, fill_customers  # noqa: E402
from core.teller.identifiers import account_iban, customer_number  # noqa: E402
from core.teller.search import search  # noqa: E402


def typo(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rnd.random() < 0.5 else word[:i] + rnd.choice("aeiou") + word[i + 1:]


def queries(people: list[tuple[int, str, str, str]], rnd: random.Random, n: int) -> dict[str, list[str]]:
    sample = rnd.sample(people, n)
    return {
        "name, exact": [p[1] for p in sample],
        "name, one typo": [f"{p[1].split()[0]} {typo(p[1].split()[1], rnd)}" for p in sample],
        "name, first letters": [p[1][:p[1].index(" ") + 4] for p in sample],
        "account number": [p[3] for p in sample],
        "account, one digit wrong": [p[3][:5] + str((int(p[3][5]) + 3) % 10) + p[3][6:] for p in sample],
        "IBAN": [account_iban(p[3]) for p in sample],
        "phone (last 7 digits)": [p[2][-7:] for p in sample],
        "customer number": [customer_number(p[0]) for p in sample],
    }


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"p50_ms": round(statistics.median(values), 2), "p95_ms": round(values[int(0.95 * (len(values) - 1))], 2),
            "max_ms": round(values[-1], 2)}


def bench(backend: str, url: str, customers: int, per_kind: int) -> dict:
    scratch = Scratch(backend, url)
    try:
        people = fill_customers(scratch.engine, customers)
        rnd = random.Random(5)
        out: dict = {}
        found = 0
        with scratch.engine.connect() as conn:
            search(conn, "warm up")
            for kind, qs in queries(people, rnd, per_kind).items():
                times = []
                for q in qs:
                    times.append(timed(lambda q=q: search(conn, q)))
                found += sum(1 for q in qs[:5] if search(conn, q))
                out[kind] = stats(times)
            ref = [timed(lambda q=q: conn.execute(text("SELECT id FROM customers WHERE name LIKE :q LIMIT 20"),
                                                  {"q": f"%{q.split()[1]}%"}).all())
                   for q in queries(people, rnd, per_kind)["name, one typo"]]
            out["reference: LIKE '%…%' scan"] = stats(ref)
        out["_found"] = found
        return out
    finally:
        scratch.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {b: bench(b, args.url, args.customers, args.per_kind) for b in args.backends.split(",")}
    if args.json:
        print(json.dumps(results))
        return 0
    for backend, rows in results.items():
        print(f"\n{backend}, {args.customers:,} customers ({args.per_kind} queries per kind):")
        for kind, s in rows.items():
            if not kind.startswith("_"):
                print(f"  {kind:<28} p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f} ms  max {s['max_ms']:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
