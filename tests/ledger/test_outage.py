"""Issue 8 §8: database faults are typed errors, and desks ride through short outages.

The PostgreSQL test kills the desk's backends (``pg_terminate_backend``) over and over while several
threads post; every transfer either posted exactly once or failed with DatabaseUnavailable, the ledger's
invariants hold, retried ids never post twice, and nothing is printed to stderr.
"""
from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from core.errors import DatabaseUnavailable
from core.ledger import store
from core.ledger.service import Ledger
from core.ledger.verify import verify
from core.ledger.views import TransferRequest
from core.persistence import outage
from core.persistence.db import _sqlite_pragmas, make_engine
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR

PLAIN_FORBIDDEN = ("SELECT", "INSERT", "UPDATE", "[SQL", "[parameters", "psycopg", "sqlite3", "Traceback")


def _fund(ledger: Ledger, accounts: int, currency: str = "USD") -> list[str]:
    numbers = []
    for i in range(accounts):
        customer = ledger.add_customer(SYSTEM_ACTOR, f"Outage {i}")
        number = ledger.open_account(SYSTEM_ACTOR, customer.id, currency).number
        ledger.deposit(SYSTEM_ACTOR, number, 1_000_000, currency)
        numbers.append(number)
    return numbers


def _rows(engine, transfer_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.T).where(store.T.c.id == transfer_id)).scalar_one()


def _killer(admin, app_name: str, stop: threading.Event, kills: list[int], every: float,
            duration: float = 6.0) -> None:
    """Kill the desk's backends every ``every`` seconds for ``duration`` seconds (or until ``stop``)."""
    until = time.monotonic() + duration
    while not stop.is_set() and time.monotonic() < until:
        with admin.connect() as conn:
            killed = conn.execute(text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                       "where application_name = :a and pid <> pg_backend_pid()"),
                                  {"a": app_name}).scalar_one()
            conn.commit()
        kills.append(killed)
        stop.wait(every)


@pytest.mark.postgres
@pytest.mark.parametrize("attached", [True, False], ids=["audit-trail", "driver-fast-path"])
def test_killing_the_desks_backends_while_it_posts(pg_engine, tmp_path, capfd, attached):
    app_name = f"qenex-desk-{uuid.uuid4().hex[:8]}"
    url = pg_engine.url.update_query_dict({"application_name": app_name}).render_as_string(hide_password=False)
    desk = make_engine(url, pool_size=4)
    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key")) if attached else None
    ledger = Ledger(desk, audit=audit, retry_seconds=10)
    numbers = _fund(ledger, 4)
    outcomes: dict[str, object] = {}
    unexpected: list[BaseException] = []
    admin = create_engine(pg_engine.url.render_as_string(hide_password=False))
    stop, kills = threading.Event(), []

    def poster(worker: int) -> None:
        for i in range(60):
            tid = f"w{worker}-{i}"
            debit, credit = numbers[(worker + i) % 4], numbers[(worker + i + 1) % 4]
            try:
                outcomes[tid] = ledger.transfer(SYSTEM_ACTOR, TransferRequest(tid, debit, credit, 1 + i, "USD"))
            except DatabaseUnavailable as err:
                outcomes[tid] = err
            except BaseException as err:  # noqa: BLE001 - collected and reported below
                unexpected.append(err)

    killer = threading.Thread(target=_killer, args=(admin, app_name, stop, kills, 0.05))
    killer.start()
    posters = [threading.Thread(target=poster, args=(w,)) for w in range(4)]
    for t in posters:
        t.start()
    for t in posters:
        t.join(600)
    stop.set()
    killer.join(10)
    assert not any(t.is_alive() for t in posters), "a poster hung"

    assert not unexpected, [f"{type(e).__name__}: {e}" for e in unexpected[:3]]
    assert sum(kills) > 0, "the killer never met a backend of the desk"
    assert len(outcomes) == 240
    failed = [tid for tid, r in outcomes.items() if isinstance(r, DatabaseUnavailable)]
    with capfd.disabled():  # the README's figure (pytest -s)
        print(f"\noutage[{'audit' if attached else 'fast'}]: {sum(kills)} backends killed in {len(kills)} rounds; "
              f"{240 - len(failed)} transfers posted through it, {len(failed)} typed failures")
    for tid, result in outcomes.items():
        if isinstance(result, DatabaseUnavailable):
            assert not any(word in result.message for word in PLAIN_FORBIDDEN), result.message
            assert _rows(pg_engine, tid) <= 1
        else:
            assert _rows(pg_engine, tid) == 1, tid
    # The outcome of a typed failure is unknown: the same id again posts it now or replays it, never twice.
    for tid in failed:
        worker, i = (int(x) for x in tid[1:].split("-"))
        req = TransferRequest(tid, numbers[(worker + i) % 4], numbers[(worker + i + 1) % 4], 1 + i, "USD")
        ledger.transfer(SYSTEM_ACTOR, req)
        assert _rows(pg_engine, tid) == 1
    report = verify(pg_engine)
    assert report.ok, report.problems[:5]
    with pg_engine.connect() as conn:
        posted = conn.execute(select(func.count()).select_from(store.T).where(store.T.c.id.like("w%"))).scalar_one()
    assert posted == 240
    if audit is not None:
        audit.seal(desk)  # a lost connection here is retried by nobody: the killer has stopped
        assert audit.verify(pg_engine).ok
    err = capfd.readouterr().err
    assert "Traceback" not in err and "OperationalError" not in err, err[:2000]
    desk.dispose()
    admin.dispose()


def test_a_database_that_stays_away_is_one_typed_error_after_the_retry_budget(tmp_path):
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    ledger = Ledger(down, retry_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as caught:
        ledger.transfer(SYSTEM_ACTOR, TransferRequest("t-1", "1000000016", "1000000024", 100, "USD"))
    assert time.monotonic() - started < 10
    assert caught.value.code == "database_unavailable"
    assert "unreachable" in caught.value.message and "never posted twice" in caught.value.message
    assert not any(word in caught.value.message for word in PLAIN_FORBIDDEN)
    down.dispose()


def test_the_raw_driver_checkout_is_translated():
    from core.persistence.driver import checkout

    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(DBAPIError) as caught:
        checkout(down)
    assert caught.value.connection_invalidated and outage.is_connection_loss(caught.value)
    down.dispose()


def test_sqlite_busy_is_the_same_typed_error(tmp_path):
    path = tmp_path / "bank.db"
    engine = make_engine(f"sqlite:///{path}")
    from core.persistence import migrate

    migrate.upgrade(engine)
    numbers = _fund(Ledger(engine), 2)
    engine.dispose()
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05, "check_same_thread": False})
    _sqlite_pragmas(impatient)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    ledger = Ledger(impatient, retry_seconds=0.3)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            ledger.transfer(SYSTEM_ACTOR, TransferRequest("t-busy", numbers[0], numbers[1], 100, "USD"))
        assert "busy" in caught.value.message and not any(w in caught.value.message for w in PLAIN_FORBIDDEN)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ledger.transfer(SYSTEM_ACTOR, TransferRequest("t-busy", numbers[0], numbers[1], 100, "USD")).state == "posted"
    impatient.dispose()


def test_listeners_hear_retrying_then_ok(engine):
    heard: list[str] = []
    listener = lambda state, _detail: heard.append(state)  # noqa: E731
    outage.add_listener(listener)
    try:
        calls = iter([sqlite3.OperationalError("database is locked"), None])

        def work():
            err = next(calls)
            if err is not None:
                raise err
            return "done"

        assert outage.retrying(work, seconds=5) == "done"
    finally:
        outage.remove_listener(listener)
    assert heard == ["retrying", "ok"]


def test_retry_budget_is_configurable():
    assert outage.retry_seconds({}) == 10
    assert outage.retry_seconds({"QENEX_DB_RETRY_SECONDS": "2.5"}) == 2.5
    from core.errors import ConfigurationError

    for bad in ("-1", "abc", "601"):
        with pytest.raises(ConfigurationError, match="QENEX_DB_RETRY_SECONDS"):
            outage.retry_seconds({"QENEX_DB_RETRY_SECONDS": bad})


def test_the_pool_logs_a_broken_connection_as_one_line(caplog):
    import logging

    import psycopg

    outage.quiet_pool_logging()
    logger = logging.getLogger("sqlalchemy.pool.impl.QueuePool")
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.pool.impl.QueuePool"):
        try:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        except psycopg.OperationalError:
            logger.error("Exception during reset or similar", exc_info=True)
    record = caplog.records[-1]
    assert record.levelname == "INFO" and record.exc_info is None
    assert "connection lost" in record.getMessage()


def _declining(engine, tmp_path):
    from core.fraud.config import FraudConfig
    from core.fraud.screen import FraudScreen

    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    config = FraudConfig(blocked_counterparties=frozenset({"MULE-1"}))
    ledger = Ledger(engine, screen=FraudScreen(engine, config=config), audit=audit, retry_seconds=5)
    payer, payee = _fund(ledger, 2)
    return ledger, payer, payee


def _declines(engine, transfer_id: str) -> tuple[int, int]:
    from core.persistence.models.fraud import FraudScore

    with engine.connect() as conn:
        scores = conn.execute(select(func.count()).select_from(FraudScore).where(
            FraudScore.transfer_id == transfer_id)).scalar_one()
        audited = conn.execute(text("select count(*) from audit_log where action = 'transfer.declined' "
                                    "and target = :t"), {"t": transfer_id}).scalar_one()
    return scores, audited


def test_the_transaction_that_records_a_decline_is_retried_and_records_once(engine, tmp_path, monkeypatch):
    from core.ledger.errors import TransferDeclined
    from sqlalchemy.exc import OperationalError

    ledger, payer, payee = _declining(engine, tmp_path)
    real = Ledger._record_decline
    calls = [0]

    def flaky(self, conn, *args):  # noqa: ANN001
        calls[0] += 1
        real(self, conn, *args)
        if calls[0] == 1:  # the connection breaks before the commit: everything above rolls back
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(Ledger, "_record_decline", flaky)
    req = TransferRequest("d-1", payer, payee, 10_00, "USD", counterparty="MULE-1")
    with pytest.raises(TransferDeclined):
        ledger.transfer(SYSTEM_ACTOR, req)
    assert calls[0] == 2 and _declines(engine, "d-1") == (1, 1)
    with pytest.raises(TransferDeclined):  # the same id again (a retry whose first answer was lost): once
        ledger.transfer(SYSTEM_ACTOR, req)
    assert _declines(engine, "d-1") == (1, 1) and _rows(engine, "d-1") == 0


def test_every_core_call_on_a_lost_database_gets_the_typed_error(tmp_path):
    """Not only postings: reads, logins and audit queries on an engine that lost its server raise
    DatabaseUnavailable (make_engine translates), with no SQL or parameters in the message."""
    from core.security.passwords import PasswordHasher
    from core.security.users import UserService

    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    users = UserService(down, audit, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1))
    calls = [lambda: Ledger(down).balance(SYSTEM_ACTOR, "1000000016"),
             lambda: users.begin_login("alice", "correct horse battery"),
             lambda: audit.count(down, SYSTEM_ACTOR),
             lambda: verify(down)]
    for call in calls:
        with pytest.raises(DatabaseUnavailable) as caught:
            call()
        assert not any(word in caught.value.message for word in PLAIN_FORBIDDEN), caught.value.message
    down.dispose()
