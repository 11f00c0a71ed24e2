"""Many desks at once: no lost updates, no double posts, no deadlocks, limits hold."""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, select

from core.errors import QenexError
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models import Entry, Transfer
from core.security.roles import SYSTEM_ACTOR as S


def _hammer(engine, threads: int, per_thread: int) -> None:
    ledger = Ledger(engine)
    accounts = []
    for i in range(10):
        number = ledger.open_account(S, ledger.add_customer(S, f"Hot {i}").id, "USD", overdraft=500 * (i % 2)).number
        ledger.deposit(S, number, 5_000, "USD")
        accounts.append(number)
    acknowledged: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def desk(seed: int) -> None:
        rnd = random.Random(seed)
        for i in range(per_thread):
            a, b = rnd.sample(accounts, 2)
            tid, amount = f"desk{seed}-{i}", rnd.randint(1, 2_000)
            try:
                # Each desk also retries some transfers, as a desk whose connection dropped would.
                for _ in range(2 if i % 7 == 0 else 1):
                    ledger.transfer(S, TransferRequest(tid, a, b, amount, "USD"))
                with lock:
                    acknowledged.append(tid)
            except QenexError as err:
                if err.code != "insufficient_funds":
                    failures.append(err)
            except BaseException as exc:  # noqa: BLE001 - any other error fails the test below
                failures.append(exc)

    workers = [threading.Thread(target=desk, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not failures, failures[:3]
    assert ledger.totals_by_currency(S) == {"USD": 0}
    with engine.connect() as conn:
        ids = conn.execute(select(Transfer.id).where(Transfer.id.like("desk%"))).scalars().all()
        assert sorted(ids) == sorted(acknowledged)  # every acknowledged transfer exists, once
        entries = conn.execute(select(func.count()).select_from(Entry).where(Entry.transfer_id.like("desk%"))).scalar_one()
        assert entries == 2 * len(ids)
    for i, number in enumerate(accounts):
        bal = ledger.balance(S, number)
        assert bal.current >= -500 * (i % 2)
        lines = sorted(ledger.statement(S, number, limit=10_000).lines, key=lambda ln: ln.entry_id)
        assert bal.current == sum(ln.amount for ln in lines)
        running = 0
        for ln in lines:  # each entry's balance_after continues the one before it: a serial order
            running += ln.amount
            assert ln.balance_after == running
    assert len(acknowledged) > threads * per_thread // 4


@pytest.mark.postgres
def test_eight_desks_on_postgres(pg_engine):
    _hammer(pg_engine, threads=8, per_thread=60)


def test_threads_on_sqlite(sqlite_engine):
    _hammer(sqlite_engine, threads=4, per_thread=30)
