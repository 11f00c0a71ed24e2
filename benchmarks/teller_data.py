"""Throw-away databases for the teller benchmarks: SQLite in a temporary folder, PostgreSQL in a
throw-away schema (``search_path`` set to it, pg_trgm found in whatever schema it lives in)."""
from __future__ import annotations

import random
import tempfile
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text

from core.ledger import numbers
from core.persistence import migrate
from core.persistence.db import make_engine
from core.persistence.models import Account, Customer, Entry, Transfer

FIRST = ("Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Radia John Hedy Tim Katherine Donald "
         "Sophie Marie Omar Leila Yuki Ravi Elena Tomas Amara Chen Ingrid Mateo Zara Noah Aisha Pierre Olga Ivan "
         "Nadia Kofi Mei Jonas Lucia Hugo Astrid Pablo Fatima Sven Rosa Emil Hana Luca Maya Felix").split()
SYLLABLES = "ka ri to ne ma lo vi sa den berg son ham ley ton field wood ford mann ek ova ic ski ez ari ini".split()


class Scratch:
    """A migrated database that is dropped by ``close``."""

    def __init__(self, backend: str, pg_url: str) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.folder = tempfile.TemporaryDirectory(prefix="qenex-bench-")
            self.engine: Engine = make_engine(f"sqlite:///{Path(self.folder.name) / 'bank.db'}")
            self.admin = None
        else:
            self.schema = f"qenex_bench_{uuid.uuid4().hex[:10]}"
            self.admin = create_engine(pg_url)
            with self.admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {self.schema}"))
            sep = "&" if "?" in pg_url else "?"
            self.engine = make_engine(f"{pg_url}{sep}options=-csearch_path%3D{self.schema}")
        migrate.upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.admin is not None:
            with self.admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
            self.admin.dispose()
        else:
            self.folder.cleanup()


def surname(rnd: random.Random) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))).capitalize()


def fill_customers(engine: Engine, n: int, seed: int = 11) -> list[tuple[int, str, str, str]]:
    """``n`` customers with a USD account each; returns (id, name, phone, account number) per customer."""
    rnd = random.Random(seed)
    now = datetime.now(timezone.utc)
    rows, out = [], []
    for i in range(1, n + 1):
        name = f"{rnd.choice(FIRST)} {surname(rnd)}"
        phone = f"+1202{rnd.randint(2000000, 9999999)}"
        rows.append({"id": i, "name": name, "country": "US", "created_at": now, "phone": phone,
                     "date_of_birth": date(1950, 1, 1) + timedelta(days=rnd.randint(0, 20000)),
                     "address": f"{rnd.randint(1, 999)} Main Street", "id_type": "passport", "id_number": f"P{i:08d}"})
    accounts = [{"id": i, "number": numbers.make(i, "deposit"), "customer_id": i, "kind": "deposit",
                 "name": f"{r['name']} USD", "currency": "USD", "status": "open", "overdraft_limit": 0,
                 "debits_posted": 0, "credits_posted": 0, "debits_pending": 0, "credits_pending": 0,
                 "created_at": now} for i, r in enumerate(rows, 1)]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(Customer.__table__), rows[start:start + 10_000])
            conn.execute(insert(Account.__table__), accounts[start:start + 10_000])
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('customers', 'id'), :n)"), {"n": n})
            conn.execute(text("ANALYZE customers"))
            conn.execute(text("ANALYZE accounts"))
    return [(r["id"], r["name"], r["phone"], a["number"]) for r, a in zip(rows, accounts)]


def fill_entries(engine: Engine, account_id: int, n: int, start: datetime) -> None:
    """``n`` posted transfers into (and out of) one account, one a minute from ``start``."""
    other = account_id + 1
    balance = 0
    with engine.begin() as conn:
        for first in range(0, n, 50_000):
            transfers, entries = [], []
            for i in range(first, min(n, first + 50_000)):
                amount = (i % 997 + 1) * (1 if i % 3 else -1)
                balance += amount
                at = start + timedelta(minutes=i)
                tid = f"b{i:08d}"
                debit, credit = (other, account_id) if amount > 0 else (account_id, other)
                transfers.append({"id": tid, "debit_account_id": debit, "credit_account_id": credit,
                                  "amount": abs(amount), "currency": "USD", "kind": "single", "state": "posted",
                                  "code": "transfer", "description": f"payment {i}", "channel": "desk",
                                  "fingerprint": tid, "created_by": "bench", "created_at": at})
                entries.append({"transfer_id": tid, "account_id": account_id, "amount": amount,
                                "balance_after": balance, "created_at": at})
            conn.execute(insert(Transfer.__table__), transfers)
            conn.execute(insert(Entry.__table__), entries)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE entries"))
            conn.execute(text("ANALYZE transfers"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # as autovacuum would soon: lets the count use an index-only scan
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM entries"))
