"""`qenex user unlock` and `qenex user reset-password` (issue 8 §6), end to end on SQLite: audited
as the named administrator (``--as``; the system operator only adds users)."""
from __future__ import annotations

import json

import pytest

from sqlalchemy import text

from core.persistence.db import make_engine
from core.security.passwords import PasswordHasher
from core.security.totp_keys import TotpSecrets
from core.security.users import UserService
from tests.security.test_cli import env, run  # noqa: F401 - the fixture and the runner

PASSWORD = "correct horse battery"


def test_unlock_and_reset_password_from_the_command_line(env, capsys, monkeypatch):  # noqa: F811
    assert run(capsys, monkeypatch, "user", "add", "boss", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0  # the first administrator, made by the system operator
    assert run(capsys, monkeypatch, "user", "add", "tom", "--role", "teller", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0
    engine = make_engine(f"sqlite:///{env / 'bank.db'}")
    # TOTP secrets are encrypted with the key beside the CLI's audit key (issue 8 §7)
    users = UserService(engine, None, hasher=PasswordHasher(), totp_secrets=TotpSecrets(env / "data" / "audit"))
    for _ in range(users.lockout.max_failures):
        try:
            users.begin_login("tom", "wrong password!!")
        except Exception:  # noqa: BLE001, S110 - failing is the point
            pass
    with pytest.raises(SystemExit) as usage:  # a change to a person's account needs a named administrator
        run(capsys, monkeypatch, "user", "unlock", "tom")
    assert usage.value.code == 2 and "required: --as" in capsys.readouterr().err
    code, out, _ = run(capsys, monkeypatch, "user", "list", "--json", "--as", "boss")
    tom = json.loads(out)[1]
    assert tom["username"] == "tom" and tom["locked_until"] is not None and tom["change_at_login"] is True
    code, out, _ = run(capsys, monkeypatch, "user", "unlock", "tom", "--as", "boss")
    assert code == 0 and out.strip() == "tom: teller, active"
    code, out, _ = run(capsys, monkeypatch, "user", "reset-password", "tom", "--json", "--as", "boss")
    temporary = json.loads(out)["temporary_password"]
    assert code == 0 and len(temporary) >= 12
    assert users.begin_login("tom", temporary).needs_password_change
    code, out, _ = run(capsys, monkeypatch, "user", "reset-password", "tom", "--password-stdin", "--as", "boss",
                       stdin="chosen temporary 8\n")
    assert code == 0 and "password of tom reset" in out and "chosen temporary 8" not in out
    code, _, err = run(capsys, monkeypatch, "user", "reset-password", "nobody", "--as", "boss")
    assert code != 0 and err.startswith("qenex: ") and "Traceback" not in err
    code, _, err = run(capsys, monkeypatch, "user", "reset-password", "tom", "--password-stdin", "--as", "boss",
                     stdin="short\n")
    assert code != 0 and "at least 12 characters" in err
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(
            "select actor, action from audit_log where target = 'tom' and action in "
            "('user.unlock', 'password.reset') order by id"))]
    assert rows == [("boss", "user.unlock"), ("boss", "password.reset"), ("boss", "password.reset")]
