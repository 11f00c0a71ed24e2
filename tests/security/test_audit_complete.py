"""Issue 8 §7: the audit trail is complete and tamper-evident end to end.

Every command seals what it appended; verify fails on entries left unsealed too long; a signed record of
the chain head outside the database (file beside the key, and Redis) catches a trail cut back at its end
or removed whole; a signing key is made only for a database with no trail.
"""
from __future__ import annotations

import io
import re
import time
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from app.cli import main
from core.persistence.base import utcnow
from core.persistence.db import make_engine
from core.persistence.models.security import AuditBatch, AuditEntry
from core.security.audit import AuditTrail
from core.security.audit_head import REDIS_PREFIX, database_id
from core.security.audit_keys import AuditKeys
from core.security.errors import AuditKeyError
from core.security.roles import Actor, Role

from tests.security.test_audit import attacker, fill

REDIS_URL = "redis://127.0.0.1:6379/15"
TELLER = Actor(username="tom", role=Role.TELLER, user_id=7, device="desk-3")


def unsealed(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))).scalar_one()


# -- the command line seals on exit ------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    monkeypatch.delenv("QENEX_AUDIT_KEY", raising=False)
    monkeypatch.delenv("QENEX_REDIS_URL", raising=False)

    def run(*argv, stdin="correct horse battery\n"):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    run.tmp = tmp_path
    run.engine = lambda: make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    return run


def test_every_command_that_appends_seals_on_exit(cli):
    engine = cli.engine()
    commands = [
        ("user", "add", "ann", "--role", "admin", "--password-stdin"),
        ("user", "add", "bob", "--role", "teller", "--password-stdin"),
        ("user", "role", "bob", "analyst", "--as", "ann"),
        ("user", "disable", "bob", "--as", "ann"),
        ("user", "enable", "bob", "--as", "ann"),
        ("user", "reset-mfa", "bob", "--as", "ann"),
        ("user", "disable", "nobody", "--as", "ann"),  # refused: whatever it audited is sealed too
        ("customer", "add", "--name", "Ada Lovelace"),
        ("account", "open", "--customer", "1", "--currency", "USD"),
    ]
    for argv in commands:
        cli(*argv)
        assert unsealed(engine) == 0, argv
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one() >= 6
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "audit trail intact" in out
    engine.dispose()


def test_verify_fails_on_entries_left_unsealed_longer_than_the_interval(cli):
    cli("user", "add", "ann", "--role", "admin", "--password-stdin")
    engine = cli.engine()
    with engine.begin() as conn:  # as a desk that crashed before sealing would leave it
        conn.execute(insert(AuditEntry).values(at=utcnow() - timedelta(minutes=5), actor="tom", role="teller",
                                               action="transfer.post", target="t-1"))
        conn.execute(insert(AuditEntry).values(at=utcnow(), actor="tom", role="teller",  # fresh: not a fault
                                               action="transfer.post", target="t-2"))
    engine.dispose()
    code, out, _ = cli("audit", "verify")
    assert code == 3 and "AUDIT TRAIL BROKEN: unsealed: 1 entry was left unsealed longer" in out
    code, _, _ = cli("audit", "seal")
    assert code == 0
    code, out, _ = cli("audit", "verify")
    assert code == 0, out


def test_fresh_unsealed_entries_are_not_a_fault(engine, tmp_path):
    trail = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    fill(engine, trail, 3)
    report = trail.verify(engine)
    assert report.ok and report.unsealed == 3
    later = AuditTrail(trail.keys, clock=lambda: utcnow() + timedelta(seconds=61))
    report = later.verify(engine)
    assert not report.ok and report.first_problem.kind == "unsealed"
    assert report.first_problem.entry_id == report.oldest_unsealed_id


# -- the signed head record ----------------------------------------------------------------------------------

@pytest.fixture
def trail(tmp_path) -> AuditTrail:
    return AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"), batch_size=4)


def test_seal_records_the_head_beside_the_key(engine, trail):
    fill(engine, trail, 6)
    trail.seal(engine)
    path = trail.heads.path(database_id(engine))
    assert path.parent == trail.keys.key_path.parent / "heads"
    report = trail.verify(engine)
    assert report.ok and report.head_recorded == 6


def test_deleting_the_newest_batch_and_its_entries_is_reported_as_removed(engine, trail):
    fill(engine, trail, 10)
    trail.seal(engine)  # batches 1-4, 5-8, 9-10
    with attacker(engine) as conn:
        conn.execute(text("delete from audit_log where seq >= 9"))
        conn.execute(text("delete from audit_batches where first_seq = 9"))
    report = trail.verify(engine)
    assert not report.ok
    first = report.first_problem
    assert (first.kind, first.seq) == ("removed", 9)
    assert "positions 9 to 10 were removed" in first.message


def test_deleting_the_whole_trail_is_reported_as_removed(engine, trail):
    fill(engine, trail, 5)
    trail.seal(engine)
    with attacker(engine) as conn:
        conn.execute(text("delete from audit_log"))
        conn.execute(text("delete from audit_batches"))
    report = trail.verify(engine)
    assert not report.ok and report.first_problem.kind == "removed"
    assert "the whole trail was removed" in report.first_problem.message


def test_a_trail_cut_back_then_sealed_on_keeps_the_evidence(engine, trail):
    fill(engine, trail, 8)
    trail.seal(engine)
    with attacker(engine) as conn:
        conn.execute(text("delete from audit_log where seq >= 5"))
        conn.execute(text("delete from audit_batches where first_seq >= 5"))
    fill(engine, trail, 9, start=100)  # new entries take positions 5 … 13: past the recorded head
    trail.seal(engine)
    report = trail.verify(engine)  # the record was not moved over the cut: position 8 holds another entry
    assert not report.ok and report.first_problem.kind == "removed" and report.first_problem.seq == 8


def test_an_altered_head_record_is_reported(engine, trail):
    fill(engine, trail, 3)
    trail.seal(engine)
    path = trail.heads.path(database_id(engine))
    outer = json.loads(path.read_text())
    outer["record"] = outer["record"].replace('"seq":3', '"seq":2')
    path.write_text(json.dumps(outer))
    report = trail.verify(engine)
    assert not report.ok and report.first_problem.kind == "bad_signature"
    assert "head record" in report.first_problem.message


def test_the_redis_copy_catches_removal_when_the_file_is_gone_too(engine, tmp_path):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    trail = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"), batch_size=4, redis_url=REDIS_URL)
    key = REDIS_PREFIX + database_id(engine)
    try:
        fill(engine, trail, 6)
        trail.seal(engine)
        assert client.get(key) is not None
        trail.heads.path(database_id(engine)).unlink()  # the attacker found the file
        with attacker(engine) as conn:
            conn.execute(text("delete from audit_log where seq >= 5"))
            conn.execute(text("delete from audit_batches where first_seq = 5"))
        report = trail.verify(engine)
        assert not report.ok and report.first_problem.kind == "removed" and "Redis" in report.first_problem.message
    finally:
        client.delete(key)
        client.close()


def test_redis_down_is_a_note_not_a_fault(engine, tmp_path):
    trail = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"), redis_url="redis://127.0.0.1:1/0")
    fill(engine, trail, 2)
    trail.seal(engine)  # sealing goes on without Redis
    report = trail.verify(engine)
    assert report.ok and report.head_recorded == 2
    assert any("Redis" in note for note in report.notes)


def test_cli_reports_a_removed_tail_with_exit_3(cli):
    for name in ("ann", "bob", "cid"):
        cli("user", "add", name, "--role", "teller", "--password-stdin")
    engine = cli.engine()
    with attacker(engine) as conn:
        last = conn.execute(select(func.max(AuditBatch.first_seq))).scalar_one()
        conn.execute(text("delete from audit_log where seq >= :s"), {"s": last})
        conn.execute(text("delete from audit_batches where first_seq = :s"), {"s": last})
    engine.dispose()
    code, out, _ = cli("audit", "verify")
    assert code == 3 and "AUDIT TRAIL BROKEN: removed: the trail ends at position 2" in out


# -- a key only for a database with no trail ------------------------------------------------------------------

def test_another_data_folder_refuses_to_make_a_key_for_a_signed_trail(cli, monkeypatch):
    cli("user", "add", "ann", "--role", "admin", "--password-stdin")
    monkeypatch.setenv("QENEX_DATA_DIR", str(cli.tmp / "elsewhere"))
    code, _, err = cli("user", "add", "bob", "--role", "teller", "--password-stdin")
    # the TOTP key is checked first here (the new user's secret is encrypted before the audited insert)
    assert code == 1 and re.match(r"qenex: (audit_key|totp_key): this database('s| already has a signed)", err)
    assert "QENEX_DATA_DIR" in err and "QENEX_AUDIT_KEY" in err and len(err.strip().splitlines()) == 1
    assert not (cli.tmp / "elsewhere" / "audit" / "ml-dsa-65.key").exists()
    code, out, _ = cli("user", "list", "--as", "ann")
    assert "bob" not in out  # nothing was written
    monkeypatch.setenv("QENEX_DATA_DIR", str(cli.tmp / "data"))
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "audit trail intact" in out


def test_verify_from_another_folder_says_where_the_key_should_be(cli, monkeypatch):
    cli("user", "add", "ann", "--role", "admin", "--password-stdin")
    monkeypatch.setenv("QENEX_DATA_DIR", str(cli.tmp / "elsewhere"))
    code, out, _ = cli("audit", "verify")
    assert code == 3 and "unknown_key" in out and "QENEX_AUDIT_KEY" in out
    assert not (cli.tmp / "elsewhere" / "audit" / "ml-dsa-65.key").exists()


def test_a_key_is_made_for_a_database_without_a_trail(engine, trail):
    fill(engine, trail, 1)
    assert trail.seal(engine).entries == 1 and trail.keys.key_path.exists()


def test_core_refuses_to_append_or_seal_without_the_trails_key(engine, trail, tmp_path):
    fill(engine, trail, 2)
    trail.seal(engine)
    stranger = AuditTrail(AuditKeys(tmp_path / "other" / "ml-dsa-65.key"))
    with pytest.raises(AuditKeyError, match="QENEX_AUDIT_KEY"):
        fill(engine, stranger, 1)
    fill(engine, trail, 1)
    with pytest.raises(AuditKeyError):
        stranger.seal(engine)
    assert not stranger.keys.key_path.exists()


@pytest.mark.postgres
def test_head_records_of_two_databases_do_not_mix(pg_engine, sqlite_engine, tmp_path):
    trail = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    fill(pg_engine, trail, 3)
    fill(sqlite_engine, trail, 1)
    trail.seal(pg_engine)
    trail.seal(sqlite_engine)
    assert database_id(pg_engine) != database_id(sqlite_engine)
    assert trail.verify(pg_engine).head_recorded == 3 and trail.verify(sqlite_engine).head_recorded == 1


def test_a_command_that_runs_until_stopped_seals_meanwhile(cli, monkeypatch):
    from app.context import Context
    from core.security import audit as audit_module

    cli("user", "add", "ann", "--role", "admin", "--password-stdin")
    monkeypatch.setattr(audit_module, "SEAL_INTERVAL", timedelta(seconds=0.2))
    ctx = Context.from_env()
    engine = ctx.engine
    with ctx.sealing():
        with engine.begin() as conn:  # what a webhook would append while `payments listen` runs
            ctx.audit.append(conn, Actor(username="system", role=Role.SYSTEM), "payment.webhook", "pi_1")
        deadline = utcnow() + timedelta(seconds=10)
        while unsealed(engine) and utcnow() < deadline:
            time.sleep(0.05)
        assert unsealed(engine) == 0
    ctx.close()
