"""`qenex user` and `qenex audit` end to end on SQLite, with the key in a temporary data folder."""
import io
import json

import pyotp
import pytest
from sqlalchemy import text

from app.cli import main
from core.persistence.db import make_engine


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    monkeypatch.delenv("QENEX_AUDIT_KEY", raising=False)
    return tmp_path


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_user_add_list_and_audit_round_trip(env, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "user", "add", "Admin1", "--role", "admin", "--password-stdin",
                       stdin="correct horse battery\n")
    assert code == 0 and "created admin1 (admin)" in out and "QR code is shown at first login" in out
    uri = next(line.split(": ", 1)[1] for line in out.splitlines() if "otpauth://" in line)
    assert pyotp.parse_uri(uri).issuer == "QENEX Console"

    code, out, _ = run(capsys, monkeypatch, "user", "list", "--json", "--as", "admin1")
    assert code == 0 and json.loads(out)[0] | {"id": 0} == {
        "id": 0, "username": "admin1", "role": "admin", "status": "active", "enrolled": False,
        "locked_until": None, "last_login_at": None, "change_at_login": True}

    code, out, _ = run(capsys, monkeypatch, "audit", "verify")  # user add sealed its entry on exit
    assert code == 0 and "not sealed yet" not in out and "signed head record: position 1" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "seal", "--json")
    assert code == 0 and json.loads(out)["entries"] == 0
    assert (env / "data" / "audit" / "ml-dsa-65.key").stat().st_mode & 0o777 == 0o600
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_audit_verify_fails_naming_the_first_bad_entry(env, capsys, monkeypatch):
    for name in ("ann", "bob"):
        run(capsys, monkeypatch, "user", "add", name, "--role", "teller", "--password-stdin",
            stdin="correct horse battery\n")
    run(capsys, monkeypatch, "audit", "seal")
    engine = make_engine(f"sqlite:///{env / 'bank.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.execute(text("""update audit_log set after = '{"role":"admin","status":"active"}' where seq = 2"""))
        bad_id = conn.execute(text("select id from audit_log where seq = 2")).scalar_one()
    engine.dispose()
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 3
    assert f"AUDIT TRAIL BROKEN: altered: entry {bad_id} at position 2 was altered" in out


def test_refusals_exit_1_with_a_clear_message(env, capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "user", "add", "ann", "--role", "teller", "--password-stdin",
                       stdin="short\n")
    assert code == 1 and "password_too_short" in err
    run(capsys, monkeypatch, "user", "add", "boss", "--role", "admin", "--password-stdin",
        stdin="correct horse battery\n")
    code, _, err = run(capsys, monkeypatch, "user", "disable", "nobody", "--as", "boss")
    assert code == 1 and "user_not_found" in err
    with pytest.raises(SystemExit) as usage:  # changing a person's account needs a named administrator
        run(capsys, monkeypatch, "user", "disable", "nobody")
    assert usage.value.code == 2 and "required: --as" in capsys.readouterr().err


def test_interactive_password_must_be_typed_twice_alike(env, capsys, monkeypatch):
    answers = iter(["correct horse battery", "correct horse batterY"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("app.commands.security._has_terminal", lambda: True)
    code, _, err = run(capsys, monkeypatch, "user", "add", "ann", "--role", "teller")
    assert code == 1 and "the two passwords differ" in err
    code, _, err = run(capsys, monkeypatch, "user", "list", "--as", "ann")
    assert code == 1 and "no user 'ann'" in err  # nothing was created
