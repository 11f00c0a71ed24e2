"""The audit trail: append in the caller's transaction, seal into a signed hash chain, verify finds tampering."""
import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from core.errors import PermissionDenied
from core.persistence.base import utcnow as _now
from core.persistence.models.security import AuditEntry
from core.security.audit import AuditTrail
from core.security.audit_chain import entry_hash
from core.security.audit_keys import AuditKeys, default_key_path
from core.security.errors import AuditKeyError
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor(username="tom", role=Role.TELLER, user_id=7, device="desk-3")
SUPERVISOR = Actor(username="sue", role=Role.SUPERVISOR, user_id=8)


def fill(engine, audit, n, start=0):
    """Append ``n`` entries, one transaction each; returns their ids."""
    ids = []
    for i in range(start, start + n):
        with engine.begin() as conn:
            ids.append(audit.append(conn, TELLER, "transfer.post", f"t-{i}", {"balance": i}, {"balance": i + 1}))
    return ids


def by_seq(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("select seq, id from audit_log where seq is not null")).all())


@contextmanager
def attacker(engine):
    """Someone with the database owner's rights, who can switch the append-only triggers off."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            conn.exec_driver_sql("ALTER TABLE audit_batches DISABLE TRIGGER audit_batches_immutable")
        else:
            for name in ("audit_log_no_update", "audit_log_no_delete", "audit_batches_no_update",
                         "audit_batches_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn


@pytest.fixture
def sealed(engine, audit):
    """Ten entries sealed into batches of 4, 4 and 2; returns {seq: id}."""
    fill(engine, audit, 10)
    report = audit.seal(engine)
    assert (report.entries, report.batches, report.head_seq) == (10, 3, 10)
    return by_seq(engine)


def test_append_commits_or_rolls_back_with_the_callers_transaction(engine, audit):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            audit.append(conn, TELLER, "transfer.post", "t-1", None, {"amount": 100})
            raise RuntimeError("the transfer failed")
    assert audit.count(engine, SYSTEM_ACTOR) == 0
    fill(engine, audit, 1)
    assert audit.count(engine, SYSTEM_ACTOR) == 1


def test_seal_then_verify_is_intact_and_verify_seals_nothing(engine, audit, sealed):
    fill(engine, audit, 3, start=10)
    report = audit.verify(engine)
    assert report.ok and report.entries == 10 and report.batches == 3
    assert (report.unsealed, report.oldest_unsealed_id) == (3, max(sealed.values()) + 1)
    assert audit.verify(engine).unsealed == 3  # verify changed nothing
    assert audit.seal(engine).entries == 3
    assert audit.seal(engine).entries == 0
    final = audit.verify(engine)
    assert final.ok and final.entries == 13 and final.unsealed == 0 and final.head_seq == 13


def test_entries_committed_late_with_lower_ids_are_sealed_in_chain_order(engine, audit):
    with engine.begin() as conn:  # ids out of commit order, as PostgreSQL sequences produce them
        conn.execute(insert(AuditEntry).values(id=50, at=_now(), actor="a", role="teller",
                                               action="x", target=""))
    assert audit.seal(engine).entries == 1
    with engine.begin() as conn:
        conn.execute(insert(AuditEntry).values(id=20, at=_now(), actor="b", role="teller", action="x", target=""))
    assert audit.seal(engine).entries == 1
    assert by_seq(engine) == {1: 50, 2: 20}
    assert audit.verify(engine).ok


@pytest.mark.postgres
def test_postgres_concurrent_appends_take_no_lock_and_late_commits_are_sealed(pg_engine, audit):
    slow = pg_engine.connect()
    slow_tx = slow.begin()
    early_id = audit.append(slow, TELLER, "transfer.post", "slow")  # lower id, not committed yet
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # fails instead of hanging if append locked
        late_id = audit.append(conn, TELLER, "transfer.post", "fast")
    assert early_id < late_id
    assert audit.seal(pg_engine).entries == 1  # sealing does not wait for the open transaction
    slow_tx.commit()
    slow.close()
    assert audit.seal(pg_engine).entries == 1
    assert by_seq(pg_engine) == {1: late_id, 2: early_id}
    assert audit.verify(pg_engine).ok


def test_the_database_refuses_to_change_or_delete_audit_rows(engine, audit, sealed):
    fill(engine, audit, 1, start=10)
    for statement in ("update audit_log set after = '{}' where seq = 1",
                      "update audit_log set target = 'x' where seq is null",
                      "delete from audit_log where seq = 2",
                      "update audit_batches set key_id = 'x'",
                      "delete from audit_batches"):
        with pytest.raises(DBAPIError):
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert audit.verify(engine).ok


def test_altered_after_data_names_the_entry(engine, audit, sealed):
    with attacker(engine) as conn:
        conn.execute(text("update audit_log set after = :a where seq = 6"), {"a": '{"balance":1000000}'})
    report = audit.verify(engine)
    assert not report.ok
    assert (report.first_problem.kind, report.first_problem.seq, report.first_problem.entry_id) == (
        "altered", 6, sealed[6])
    assert len(report.problems) == 1


def test_altered_and_rehashed_entry_is_still_caught_by_the_signature(engine, audit, sealed):
    with attacker(engine) as conn:
        conn.execute(text("update audit_log set actor = 'sue' where seq = 2"))
        row = conn.execute(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        conn.execute(text("update audit_log set hash = :h where seq = 2"), {"h": entry_hash(row.prev_hash, 2, row)})
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq, first.entry_id) == ("altered", 2, sealed[2])


def test_deleted_entry_is_named(engine, audit, sealed):
    with attacker(engine) as conn:
        conn.execute(text("delete from audit_log where seq = 3"))
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq, first.entry_id) == ("removed", 3, sealed[3])


def test_deleted_batch_with_its_entries_is_named(engine, audit, sealed):
    with attacker(engine) as conn:
        conn.execute(text("delete from audit_log where seq between 5 and 8"))
        conn.execute(text("delete from audit_batches where first_seq = 5"))
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq) == ("removed", 5)


def test_entry_inserted_in_the_middle_is_named(engine, audit, sealed):
    with attacker(engine) as conn:
        for seq in range(10, 4, -1):  # make room at position 5, then forge a well-chained entry there
            conn.execute(text("update audit_log set seq = seq + 1 where seq = :s"), {"s": seq})
        prev = conn.execute(text("select hash from audit_log where seq = 4")).scalar_one()
        forged = conn.execute(insert(AuditEntry).values(at=_now(), actor="sue", role="supervisor",
                                                        action="transfer.correct", target="t-x", seq=5,
                                                        prev_hash=prev)).inserted_primary_key[0]
        row = conn.execute(select(AuditEntry).where(AuditEntry.id == forged)).one()
        conn.execute(text("update audit_log set hash = :h where id = :i"), {"h": entry_hash(prev, 5, row), "i": forged})
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq, first.entry_id) == ("inserted", 5, forged)


def test_entry_appended_after_the_last_batch_with_a_valid_hash_is_named(engine, audit, sealed):
    with attacker(engine) as conn:
        prev = conn.execute(text("select hash from audit_log where seq = 10")).scalar_one()
        forged = conn.execute(insert(AuditEntry).values(at=_now(), actor="tom", role="teller", action="cash.move",
                                                        target="", seq=11, prev_hash=prev)).inserted_primary_key[0]
        row = conn.execute(select(AuditEntry).where(AuditEntry.id == forged)).one()
        conn.execute(text("update audit_log set hash = :h where id = :i"), {"h": entry_hash(prev, 11, row), "i": forged})
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq, first.entry_id) == ("inserted", 11, forged)


def test_forged_manifest_fails_its_signature(engine, audit, sealed):
    with attacker(engine) as conn:
        manifest = conn.execute(text("select manifest from audit_batches where first_seq = 5")).scalar_one()
        conn.execute(text("update audit_batches set manifest = :m where first_seq = 5"),
                     {"m": manifest.replace('"sealed_at":"', '"sealed_at":"1')})
    first = audit.verify(engine).first_problem
    assert (first.kind, first.seq, first.entry_id) == ("bad_signature", 5, sealed[5])


def test_swapped_key_is_detected(engine, audit, sealed, tmp_path):
    key_path = audit.keys.key_path
    key_path.unlink()
    audit.keys.public_path.unlink()
    AuditKeys(key_path).signer()  # a new key pair where the old one was
    report = AuditTrail(AuditKeys(key_path)).verify(engine)
    assert (report.first_problem.kind, report.first_problem.seq, report.first_problem.entry_id) == (
        "unknown_key", 1, sealed[1])
    assert {p.kind for p in report.problems} == {"unknown_key"}


def test_a_key_that_does_not_match_the_trusted_public_key_refuses_to_sign(engine, audit, sealed, tmp_path):
    audit.keys.key_path.unlink()
    other = AuditKeys(tmp_path / "other" / "ml-dsa-65.key")
    other.signer()
    audit.keys.key_path.write_bytes(other.key_path.read_bytes())
    os.chmod(audit.keys.key_path, 0o600)
    fill(engine, audit, 1)
    with pytest.raises(AuditKeyError):
        AuditTrail(AuditKeys(audit.keys.key_path)).seal(engine)


def test_rotated_keys_stay_trusted(engine, audit, sealed):
    keys = audit.keys
    keys.public_path.rename(keys.key_path.with_name("ml-dsa-65-2024.pub"))
    keys.key_path.unlink()
    fill(engine, audit, 2, start=10)
    fresh = AuditTrail(AuditKeys(keys.key_path))
    assert fresh.seal(engine).entries == 2
    report = fresh.verify(engine)
    assert report.ok and report.entries == 12


def test_key_file_is_private(tmp_path):
    keys = AuditKeys(tmp_path / "audit" / "ml-dsa-65.key")
    keys.signer()
    assert keys.key_path.stat().st_mode & 0o777 == 0o600
    os.chmod(keys.key_path, 0o644)
    with pytest.raises(AuditKeyError):
        AuditKeys(keys.key_path).signer()


def test_default_key_path_honours_the_environment(tmp_path):
    assert default_key_path(tmp_path, {}) == tmp_path / "audit" / "ml-dsa-65.key"
    assert default_key_path(tmp_path, {"QENEX_AUDIT_KEY": "/keys/a.key"}).as_posix() == "/keys/a.key"


def test_secrets_never_enter_the_audit(engine, audit):
    with engine.begin() as conn:
        with pytest.raises(ValueError):
            audit.append(conn, TELLER, "user.add", "bob", None, {"password": "hunter2hunter2"})
        with pytest.raises(ValueError):
            audit.append(conn, TELLER, "user.add", "bob", None, {"nested": {"totp_secret": "X"}})


def test_query_filters_pages_and_needs_audit_view(engine, audit):
    t0 = _now()
    with engine.begin() as conn:
        audit.append(conn, TELLER, "login", "tom", None, {"method": "totp"}, at=t0)
        audit.append(conn, TELLER, "login.failed", "tom", None, None, at=t0 + timedelta(minutes=1))
        audit.append(conn, TELLER, "loginx", "tom", None, None, at=t0 + timedelta(minutes=2))
        audit.append(conn, SUPERVISOR, "transfer.correct", "t-1", {"state": "posted"}, {"state": "resolved"},
                     at=t0 + timedelta(minutes=3))
    newest = audit.query(engine, SUPERVISOR)
    assert [r.action for r in newest] == ["transfer.correct", "loginx", "login.failed", "login"]
    assert newest[0].before == {"state": "posted"} and newest[0].actor == "sue" and newest[0].seq is None
    assert [r.action for r in audit.query(engine, SUPERVISOR, action="login")] == ["login.failed", "login"]
    assert [r.actor for r in audit.query(engine, SUPERVISOR, user="sue")] == ["sue"]
    window = audit.query(engine, SUPERVISOR, since=t0 + timedelta(minutes=1), until=t0 + timedelta(minutes=3))
    assert [r.action for r in window] == ["loginx", "login.failed"]
    assert [r.action for r in audit.query(engine, SUPERVISOR, offset=1, limit=2)] == ["loginx", "login.failed"]
    assert audit.count(engine, SUPERVISOR, user="tom") == 3
    assert audit.actions(engine, SUPERVISOR) == ["login", "login.failed", "loginx", "transfer.correct"]
    with pytest.raises(PermissionDenied):
        audit.query(engine, Actor(username="ann", role=Role.ANALYST))
    assert audit.query(engine, SUPERVISOR, action="permission.denied")[0].actor == "ann"
