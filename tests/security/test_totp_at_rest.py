"""Issue 8 §7: TOTP secrets are stored AES-GCM encrypted (key beside the audit key), clear ones are encrypted
on load, the key rotates, and a missing key is refused instead of replaced. SQLite and PostgreSQL."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import text

from app.cli import main
from core.security.errors import AuditKeyError, InvalidCode
from core.security.roles import SYSTEM_ACTOR
from core.security.totp_keys import TotpKeyError, TotpSecrets
from core.security.users import UserService
from tests.security.conftest import CHEAP, PASSWORD

from core.security.roles import Actor as _Actor, Role as _Role

ADMIN = _Actor("root", _Role.ADMIN)  # a named administrator: user management is human-only (roles.HUMAN_ONLY)


def stored(engine, name: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text("select totp_secret from users where username = :n"), {"n": name}).scalar_one()


def test_new_and_reset_secrets_are_stored_encrypted_beside_the_audit_key(engine, users, audit, clock, totp_code):
    new = users.add_user(SYSTEM_ACTOR, "alice", "teller", PASSWORD, must_change_password=False)
    value = stored(engine, "alice")
    assert value.startswith("enc:1:") and new.enrollment.secret not in value and len(value) <= 255
    keys = users.totp.keys
    assert keys.path == audit.keys.key_path.parent / "totp-secrets.keys"
    assert keys.path.stat().st_mode & 0o777 == 0o600
    step = users.begin_login("alice", PASSWORD)
    result = users.complete_login(step, totp_code(new.enrollment.secret, clock()))
    assert result.session.username == "alice"
    again = users.reset_mfa(ADMIN, "alice")
    assert stored(engine, "alice").startswith("enc:1:") and again.secret not in stored(engine, "alice")


def test_a_clear_secret_from_an_older_version_is_encrypted_on_load(engine, users, clock, totp_code):
    new = users.add_user(SYSTEM_ACTOR, "alice", "teller", PASSWORD, enrolled_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                         must_change_password=False)
    with engine.begin() as conn:  # what an older version left in the column
        conn.execute(text("update users set totp_secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'"))
    assert new.user.enrolled
    result = users.login("alice", PASSWORD, totp_code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", clock()))
    assert result.session.username == "alice"
    assert stored(engine, "alice").startswith("enc:1:")


def test_the_sweep_encrypts_every_clear_secret(engine, users):
    for name in ("ann", "bob", "cid"):
        users.add_user(SYSTEM_ACTOR, name, "teller", PASSWORD, must_change_password=False)
    with engine.begin() as conn:
        conn.execute(text("update users set totp_secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' where username <> 'cid'"))
    assert users.totp.encrypt_clear() == 2
    assert all(stored(engine, n).startswith("enc:") for n in ("ann", "bob", "cid"))
    assert users.totp.encrypt_clear() == 0


def test_a_ciphertext_moved_to_another_user_does_not_decrypt(engine, users, clock):
    users.add_user(SYSTEM_ACTOR, "alice", "teller", PASSWORD, must_change_password=False)
    users.add_user(SYSTEM_ACTOR, "mallory", "teller", PASSWORD, must_change_password=False)
    with engine.begin() as conn:
        conn.execute(text("update users set totp_secret = (select totp_secret from users where username = 'alice') "
                          "where username = 'mallory'"))
    with pytest.raises(TotpKeyError, match="does not decrypt"):
        users.begin_login("mallory", PASSWORD)


def test_rotation_re_encrypts_every_secret_and_drops_the_old_key(engine, users, clock, totp_code):
    secrets = {name: users.add_user(SYSTEM_ACTOR, name, "teller", PASSWORD, must_change_password=False)
               .enrollment.secret for name in ("ann", "bob")}
    report = users.rotate_totp_key(SYSTEM_ACTOR)
    assert (report.version, report.secrets, report.dropped) == (2, 2, [1])
    assert all(stored(engine, n).startswith("enc:2:") for n in secrets)
    assert set(json.loads(users.totp.keys.path.read_text())["keys"]) == {"2"}
    fresh = UserService(engine, users.audit, clock=clock, hasher=CHEAP)  # another process: reads the file anew
    step = fresh.begin_login("ann", PASSWORD)
    assert fresh.complete_login(step, totp_code(secrets["ann"], clock())).session.username == "ann"
    with engine.connect() as conn:
        after = conn.execute(text("select after from audit_log where action = 'mfa.key_rotate'")).scalar_one()
    assert json.loads(after) == {"key_version": 2, "users": 2}


def test_a_desk_that_cached_the_old_key_reads_secrets_after_another_rotated(engine, users, clock, totp_code):
    secret = users.add_user(SYSTEM_ACTOR, "ann", "teller", PASSWORD, must_change_password=False).enrollment.secret
    other = UserService(engine, users.audit, clock=clock, hasher=CHEAP)
    other.totp.keys.keys()  # loaded version 1 only
    users.rotate_totp_key(SYSTEM_ACTOR)
    step = other.begin_login("ann", PASSWORD)
    assert other.complete_login(step, totp_code(secret, clock())).session.username == "ann"


def test_a_missing_key_file_is_refused_not_replaced(engine, users, tmp_path):
    users.add_user(SYSTEM_ACTOR, "ann", "teller", PASSWORD, must_change_password=False)
    elsewhere = UserService(engine, None, hasher=CHEAP, totp_secrets=TotpSecrets(tmp_path / "elsewhere"))
    with pytest.raises(TotpKeyError, match="QENEX_DATA_DIR"):
        elsewhere.begin_login("ann", PASSWORD)
    with pytest.raises(TotpKeyError, match="QENEX_AUDIT_KEY"):
        elsewhere.add_user(SYSTEM_ACTOR, "bob", "teller", PASSWORD)
    assert not (tmp_path / "elsewhere" / "totp-secrets.keys").exists()
    assert issubclass(TotpKeyError, AuditKeyError)


def test_a_wrong_code_still_fails_with_an_encrypted_secret(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("ann")
    step = users.begin_login("ann", PASSWORD)
    with pytest.raises(InvalidCode):
        users.complete_login(step, "000000" if totp_code(secret, clock()) != "000000" else "111111")


@pytest.mark.postgres
def test_the_column_holds_the_ciphertext_on_postgres(pg_engine):
    with pg_engine.connect() as conn:
        length = conn.execute(text("select character_maximum_length from information_schema.columns "
                                   "where table_name = 'users' and column_name = 'totp_secret' "
                                   "and table_schema = current_schema()")).scalar_one()
    assert length == 255


def test_cli_rotates_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    monkeypatch.delenv("QENEX_AUDIT_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "ann", "--role", "admin", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["user", "rotate-totp-key", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["key_version"] == 2 and out["users"] == 1 and out["key_file"].endswith("audit/totp-secrets.keys")
    assert main(["audit", "verify"]) == 0
