"""``qenex ... --as USER`` is a sign-in, not a name: the user's password (QENEX_PASSWORD or a prompt at a
terminal) and, once they enrolled two-factor sign-in, a current code (QENEX_TOTP_CODE or a prompt); a wrong
one is refused before anything is done, counted towards the lockout and audited, as at a desk."""
from __future__ import annotations

import json

import pyotp
from sqlalchemy import text

from core.persistence.db import make_engine
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Role
from core.security.totp import STEP_SECONDS
from core.security.totp_keys import TotpSecrets
from core.security.users import UserService
from tests.security.test_cli import env, run  # noqa: F401 - the fixture and the runner

PASSWORD = "correct horse battery"


def _bank(env, capsys, monkeypatch):  # noqa: ANN001, ANN202, F811
    assert run(capsys, monkeypatch, "user", "add", "boss", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0
    assert run(capsys, monkeypatch, "user", "add", "tom", "--role", "teller", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0
    engine = make_engine(f"sqlite:///{env / 'bank.db'}")
    return engine, UserService(engine, None, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1),
                               totp_secrets=TotpSecrets(env / "data" / "audit"))


def _status(engine, name: str) -> str:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("select status from users where username = :n"), {"n": name}).scalar_one()


def test_naming_a_user_without_their_password_does_nothing(env, capsys, monkeypatch):  # noqa: F811
    engine, _users = _bank(env, capsys, monkeypatch)
    monkeypatch.delenv("QENEX_PASSWORD")
    code, _, err = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "boss")  # stdin is no terminal
    assert code == 1 and err.startswith("qenex: invalid: --as names a person, so the command needs boss's password")
    assert "QENEX_PASSWORD" in err and "nothing was done" in err and _status(engine, "tom") == "active"
    monkeypatch.setenv("QENEX_PASSWORD", "not the password")
    code, _, err = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "boss")
    assert code == 1 and err.startswith("qenex: bad_credentials: wrong username or password; after 5 wrong tries")
    assert _status(engine, "tom") == "active"
    with engine.connect() as conn:
        failed = conn.execute(text("select failed_attempts from users where username = 'boss'")).scalar_one()
        audited = conn.execute(text("select count(*) from audit_log where action = 'login.failed' "
                                    "and target = 'boss'")).scalar_one()
    assert failed == 1 and audited == 1
    monkeypatch.setenv("QENEX_PASSWORD", PASSWORD)
    code, out, _ = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "boss")
    assert code == 0 and _status(engine, "tom") == "disabled"
    with engine.connect() as conn:
        assert conn.execute(text("select failed_attempts from users where username = 'boss'")).scalar_one() == 0


def test_at_a_terminal_the_password_is_asked_for(env, capsys, monkeypatch):  # noqa: F811
    engine, _users = _bank(env, capsys, monkeypatch)
    monkeypatch.delenv("QENEX_PASSWORD")
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSWORD)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    from app.cli import main

    assert main(["user", "disable", "tom", "--as", "boss"]) == 0
    assert asked == ["Password for boss: "] and _status(engine, "tom") == "disabled"


def test_an_enrolled_user_also_gives_a_current_code(env, capsys, monkeypatch):  # noqa: F811
    engine, users = _bank(env, capsys, monkeypatch)
    users.add_user(SYSTEM_ACTOR, "eve", Role.ADMIN, PASSWORD, must_change_password=False)
    step = users.begin_login("eve", PASSWORD)
    totp = pyotp.TOTP(step.enrollment.secret, interval=STEP_SECONDS)
    users.complete_login(step, totp.now())  # enrolled at her first desk sign-in
    code, _, err = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "eve")
    assert code == 1 and err.startswith("qenex: invalid: --as names a person, so the command needs eve's one-time "
                                        "code (from their authenticator app)") and "QENEX_TOTP_CODE" in err
    assert _status(engine, "tom") == "active"
    monkeypatch.setenv("QENEX_TOTP_CODE", "000000" if totp.now() != "000000" else "111111")
    code, _, err = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "eve")
    assert code == 1 and err.startswith("qenex: invalid_code:") and _status(engine, "tom") == "active"
    monkeypatch.setenv("QENEX_TOTP_CODE", totp.at(totp.timecode(__import__("datetime").datetime.now()) * STEP_SECONDS + STEP_SECONDS))
    code, out, err = run(capsys, monkeypatch, "user", "list", "--json", "--as", "eve")
    assert code == 0, err  # the next step's code is inside the allowed drift, and not used before
    assert {u["username"] for u in json.loads(out)} == {"boss", "tom", "eve"}
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(text("select action from audit_log where target = 'eve' order by id"))]
    assert "cli.login" in actions and "cli.login.failed" in actions


def test_a_refused_command_gives_its_code_back_and_a_done_one_does_not(env, capsys, monkeypatch):  # noqa: F811
    """QA2 #25: replay protection stays (a code opens one command that did something), but a command core refused
    (it did nothing) hands its code back, so a script corrects it and runs it again with the same code."""
    engine, users = _bank(env, capsys, monkeypatch)
    users.add_user(SYSTEM_ACTOR, "eve", Role.ADMIN, PASSWORD, must_change_password=False)
    step = users.begin_login("eve", PASSWORD)
    totp = pyotp.TOTP(step.enrollment.secret, interval=STEP_SECONDS)
    users.complete_login(step, totp.at(totp.timecode(__import__("datetime").datetime.now()) * STEP_SECONDS
                                       - STEP_SECONDS))  # enrolled with the previous step's code
    monkeypatch.setenv("QENEX_TOTP_CODE", totp.now())
    code, _, err = run(capsys, monkeypatch, "user", "disable", "nobody", "--as", "eve")
    assert code == 1 and "the one-time code was not used up" in err and _status(engine, "tom") == "active"
    code, _, err = run(capsys, monkeypatch, "user", "disable", "tom", "--as", "eve")  # the same code, corrected
    assert code == 0, err
    assert _status(engine, "tom") == "disabled"
    code, _, err = run(capsys, monkeypatch, "user", "enable", "tom", "--as", "eve")  # that code did something
    assert code == 1 and err.startswith("qenex: code_reused: this code already opened a command") and "not used up" not in err
    assert _status(engine, "tom") == "disabled"
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(text("select action from audit_log where target = 'eve' order by id"))]
    assert actions.count("cli.login.code_returned") == 1 and actions.count("cli.login") == 2
