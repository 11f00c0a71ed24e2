"""Typed and pasted text at login (issue 8 §4): normalised before it is checked, and every failed path of
login and unlock counts toward lockout and is audited (never a TypeError that does neither)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core.security.errors import AccountLocked, BadCredentials, CodeReused, InvalidCode, LoginExpired

PASSWORD = "correct horse battery"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _audit(engine) -> list[tuple[str, str, str, dict]]:  # noqa: ANN001
    with engine.connect() as conn:
        rows = conn.execute(text("select actor, action, target, after from audit_log order by id")).all()
    return [(a, b, t, json.loads(after) if after else {}) for a, b, t, after in rows]


def _failed_attempts(engine, name: str) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("select failed_attempts from users where username = :n"), {"n": name}).scalar_one()


@pytest.mark.parametrize("form", [
    lambda c: c.translate(FULL_WIDTH),  # an East Asian input method
    lambda c: c.translate(ARABIC_INDIC),
    lambda c: f" {c[:3]}\u00a0{c[3:]} ",  # no-break space from a web page
    lambda c: f"{c[:3]}\u2009{c[3:]}\u200b",  # thin space, zero-width space
    lambda c: f"\u3000{c}\u3000",  # ideographic spaces
])
def test_totp_codes_in_any_digit_form_or_spacing_log_in(users, enroll, clock, totp_code, form):
    secret, _ = enroll("alice")
    result = users.login("alice", PASSWORD, form(totp_code(secret, clock())))
    assert result.session.username == "alice"


def test_usernames_typed_full_width_or_with_pasted_spaces_log_in(users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    assert users.login("ＡＬＩＣＥ\u00a0", PASSWORD, totp_code(secret, clock())).session.username == "alice"


def test_recovery_codes_in_any_form_log_in(users, enroll):
    _, codes = enroll("alice")
    full_width = codes[0].upper().translate(str.maketrans(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ０１２３４５６７８９－"))
    assert users.login("alice", PASSWORD, full_width).recovery_codes_left == 9
    assert users.login("alice", PASSWORD, " " + codes[1].replace("-", "\u2009") + "\n").recovery_codes_left == 8


# Each failed path: what is typed, the error, the audit action, and whether it counts toward lockout.
CODE_FAILURES = [
    ("000000", InvalidCode), ("１２３", InvalidCode), ("12345６7", InvalidCode), ("", InvalidCode),
    ("abcdef", InvalidCode), ("\x00\x01", InvalidCode), ("\udcff" * 6, InvalidCode), ("1" * 10_000, InvalidCode),
    ("k7pq-m2xd-9fhr-tw3a", InvalidCode), ("' OR 1=1 --", InvalidCode), (None, InvalidCode), (123456, InvalidCode),
]


@pytest.mark.parametrize("typed, error", CODE_FAILURES)
def test_every_wrong_code_counts_and_is_audited(engine, users, enroll, clock, totp_code, typed, error):
    secret, _ = enroll("alice")
    step = users.begin_login("alice", PASSWORD, device="desk-3")
    if typed == "000000" and totp_code(secret, clock()) == typed:
        typed = "000001"
    with pytest.raises(error):
        users.complete_login(step, typed)
    assert _failed_attempts(engine, "alice") == 1
    actor, action, target, after = _audit(engine)[-1]
    assert (actor, action, target, after["reason"]) == ("anonymous", "login.failed", "alice", error.code)


def test_a_reused_code_counts(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    code = totp_code(secret, clock())
    users.login("alice", PASSWORD, code)
    with pytest.raises(CodeReused):
        users.login("alice", PASSWORD, code.translate(FULL_WIDTH))  # the same code in another form
    assert _failed_attempts(engine, "alice") == 1


def test_a_wrong_password_counts_and_unknown_names_are_audited(engine, users, enroll):
    enroll("alice")
    with pytest.raises(BadCredentials):
        users.begin_login("alice", "wrong password!!")
    assert _failed_attempts(engine, "alice") == 1
    for name in ("nobody", "ali\x00ce", "\udcff", "x" * 5000, "' OR 1=1 --", ""):
        with pytest.raises(BadCredentials):
            users.begin_login(name, PASSWORD)
        assert _audit(engine)[-1][1:2] == ("login.failed",)
        assert _audit(engine)[-1][3]["reason"] == "unknown_user"
    assert all(ch.isprintable() and len(t) <= 64 for _, _, t, _ in _audit(engine) for ch in t)


def test_a_code_on_an_expired_step_counts_and_is_audited(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    step = users.begin_login("alice", PASSWORD)
    clock.advance(6 * 60)
    with pytest.raises(LoginExpired):
        users.complete_login(step, totp_code(secret, clock()))
    assert _failed_attempts(engine, "alice") == 1
    assert _audit(engine)[-1][1:3] == ("login.failed", "alice")
    with pytest.raises(LoginExpired):
        users.complete_login("forged-ticket", "123456")
    assert _audit(engine)[-1][1:] == ("login.failed", "", {"reason": "login_expired"})


def test_failures_in_any_form_lock_the_account(engine, users, enroll, clock):
    enroll("alice")
    typed = ["１１１１１１", "\u00a0", "abc", "\x00", "zzzz-zzzz-zzzz-zzzz"]
    step = users.begin_login("alice", PASSWORD)
    for code in typed:
        with pytest.raises((InvalidCode, AccountLocked)):
            users.complete_login(step, code)
    with pytest.raises(AccountLocked):
        users.begin_login("alice", PASSWORD)
    assert "account.lock" in [a for _, a, _, _ in _audit(engine)]


def test_unlock_failures_count_and_are_audited(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    session = users.login("alice", PASSWORD, totp_code(secret, clock())).session
    clock.advance(30)
    with pytest.raises(InvalidCode):
        users.unlock(session.actor, PASSWORD, "１２３")
    assert _failed_attempts(engine, "alice") == 1
    assert _audit(engine)[-1][1] == "unlock.failed"
    impostor = session.actor.__class__(username="mallory", role=session.actor.role, user_id=session.actor.user_id)
    with pytest.raises(BadCredentials):
        users.unlock(impostor, PASSWORD, totp_code(secret, clock()))
    assert _audit(engine)[-1][1:3] == ("unlock.failed", "mallory")
    assert users.unlock(session.actor, PASSWORD, totp_code(secret, clock()).translate(FULL_WIDTH)).actor == session.actor


def test_odd_passwords_never_crash_login(users, enroll):
    enroll("alice")
    for password in ("\udcff" * 12, "\x00" * 12, "x" * 10_000, ""):
        with pytest.raises((BadCredentials, AccountLocked)):
            users.begin_login("alice", password)
