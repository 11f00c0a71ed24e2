"""The PostgreSQL desk path: unlocked read, write only over unchanged accounts, locking path on conflicts."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.ledger import service, store
from core.ledger.posting import Posting
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.driver import AutocommitConnections
from core.persistence.models import Entry, Transfer
from core.security.roles import SYSTEM_ACTOR as S

pytestmark = pytest.mark.postgres


@pytest.fixture
def bank(pg_engine):
    ledger = Ledger(pg_engine)
    numbers = []
    for i in range(2):
        number = ledger.open_account(S, ledger.add_customer(S, f"Desk {i}").id, "USD").number
        ledger.deposit(S, number, 10_000, "USD")
        numbers.append(number)
    return ledger, numbers


def _touch(engine, number: str) -> None:
    """Another desk's write to the account (a new row version, same content)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET status = status WHERE number = :n"), {"n": number})


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _watch_reads(monkeypatch, after_read=lambda lock, n: None) -> list[bool]:
    """Record the ``lock`` flag of every account read the desk path makes; ``after_read(lock, n)`` runs
    after the n-th (1-based), as another desk acting between this desk's read and its write."""
    reads: list[bool] = []
    real = store.lock_and_fetch_on

    def watched(cur, numbers, ids, *, lock=True, **options):
        found = real(cur, numbers, ids, lock=lock, **options)
        reads.append(lock)
        after_read(lock, len(reads))
        return found

    monkeypatch.setattr(store, "lock_and_fetch_on", watched)
    return reads


def test_a_write_over_a_changed_account_fails_whole(bank, pg_engine):
    ledger, (a, b) = bank
    before = (_count(pg_engine, Transfer), _count(pg_engine, Entry))
    req = TransferRequest("stale-1", a, b, 700, "USD")
    with pytest.raises(DBAPIError) as caught, AutocommitConnections(pg_engine).cursor() as cur:
        accounts, existing = store.lock_and_fetch_on(cur, (a, b), (req.id,), lock=False)
        assert all(acc.version is not None for acc in accounts)
        posting = Posting(S, ledger.clock(), {acc.number: acc for acc in accounts}, existing)
        posting.apply(req)
        _touch(pg_engine, b)
        store.write_posting_on(cur, posting.transfers, posting.entries,
                               sorted(posting.touched.values(), key=lambda acc: acc.id), checked=True)
    assert caught.value.orig.sqlstate == "40001"
    assert "changed since it was read" in str(caught.value.orig)
    assert (_count(pg_engine, Transfer), _count(pg_engine, Entry)) == before
    assert ledger.balance(S, a).current == ledger.balance(S, b).current == 10_000


def test_conflicts_are_retried_then_the_locking_path_posts(bank, pg_engine, monkeypatch):
    ledger, (a, b) = bank
    reads = _watch_reads(monkeypatch, lambda lock, n: lock or _touch(pg_engine, a))
    result = ledger.transfer(S, TransferRequest("hot-1", a, b, 2_500, "USD"))
    assert result.state == "posted" and not result.replayed
    assert reads == [False] * service.OPTIMISTIC_TRIES + [True]
    assert (ledger.balance(S, a).current, ledger.balance(S, b).current) == (7_500, 12_500)
    with pg_engine.connect() as conn:
        rows = conn.execute(select(Entry.amount, Entry.balance_after).where(Entry.transfer_id == "hot-1")
                            .order_by(Entry.amount)).all()
    assert [tuple(r) for r in rows] == [(-2_500, 7_500), (2_500, 12_500)]


def test_one_conflict_then_the_unlocked_path_posts(bank, pg_engine, monkeypatch):
    ledger, (a, b) = bank
    reads = _watch_reads(monkeypatch, lambda lock, n: n == 1 and _touch(pg_engine, b))
    ledger.transfer(S, TransferRequest("warm-1", a, b, 100, "USD"))
    assert reads == [False, False]
    assert ledger.balance(S, b).current == 10_100


def test_the_same_id_posted_between_read_and_write_comes_back_as_a_replay(bank, pg_engine, monkeypatch):
    ledger, (a, b) = bank
    other_desk = Ledger(pg_engine)
    req = TransferRequest("twice-1", a, b, 900, "USD")
    # The other desk posts the same transfer right after this desk's first read (its own read is the 2nd).
    _watch_reads(monkeypatch, lambda lock, n: n == 1 and other_desk.transfer(S, req))
    result = ledger.transfer(S, req)
    assert result.replayed and result.amount == 900
    assert ledger.balance(S, a).current == 9_100  # posted once


def test_a_desk_survives_its_connection_being_cut(bank, pg_engine, monkeypatch):
    """A killed backend (or a server restart): the broken connection is dropped, not kept, and the next
    attempt posts on a new one, still on the optimistic path."""
    ledger, (a, b) = bank
    ledger.transfer(S, TransferRequest("before-cut", a, b, 10, "USD"))  # leaves one idle desk connection
    pids = [pooled.dbapi_connection.info.backend_pid for pooled, _ in ledger._autocommit._idle]
    assert len(pids) == 1
    with pg_engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
    reads = _watch_reads(monkeypatch)
    result = ledger.transfer(S, TransferRequest("after-cut", a, b, 20, "USD"))
    assert result.state == "posted" and reads == [False]
    assert ledger.balance(S, b).current == 10_030
    assert pids[0] not in [pooled.dbapi_connection.info.backend_pid for pooled, _ in ledger._autocommit._idle]


def test_many_ledgers_on_one_engine_share_its_idle_connections(pg_engine, bank):
    """A ledger made per payment (the demo seed does) takes no connections of its own: the server once ran out
    of connections because each ledger kept up to eight until the engine was disposed."""
    _, (a, b) = bank

    def backends() -> int:
        with pg_engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                                ).scalar_one()

    before = backends()
    for i in range(40):
        ledger = Ledger(pg_engine)
        assert ledger._autocommit is AutocommitConnections.of(pg_engine)
        ledger.transfer(S, TransferRequest(f"many-{i}", a, b, 1, "USD"))
    assert backends() <= before + 1
