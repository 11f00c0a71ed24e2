"""Login with MFA on both backends: enrollment at first login, real TOTP codes, reuse, recovery codes,
lockout with a growing delay, disabled users and the idle-desk unlock."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.persistence.models.security import RecoveryCode
from core.security.errors import (
    AccountLocked, BadCredentials, CodeReused, EnrollmentRequired, InvalidCode, LoginExpired, UserDisabled,
)
from core.security.roles import SYSTEM_ACTOR, Role

from core.security.roles import Actor as _Actor, Role as _Role

ADMIN = _Actor("root", _Role.ADMIN)  # a named administrator: user management is human-only (roles.HUMAN_ONLY)

PASSWORD = "correct horse battery"


def actions(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("select action from audit_log order by id")).scalars())


def test_enrollment_completes_only_after_one_valid_code(engine, users, clock, totp_code):
    new = users.add_user(SYSTEM_ACTOR, "Alice", "teller", PASSWORD, must_change_password=False)
    assert new.user.username == "alice" and not new.user.enrolled

    step = users.begin_login("alice", PASSWORD, device="desk-1")
    assert step.needs_enrollment
    assert step.enrollment.otpauth_uri == new.enrollment.otpauth_uri  # the URI the CLI printed still works
    assert step.enrollment.qr_png().startswith(b"\x89PNG")
    with pytest.raises(InvalidCode):
        users.complete_login(step, "000000" if totp_code(new.enrollment.secret, clock()) != "000000" else "111111")
    assert not users.list_users(ADMIN)[0].enrolled

    result = users.complete_login(step, totp_code(new.enrollment.secret, clock()))  # the step survives a typo
    assert result.session.actor.username == "alice" and result.session.role is Role.TELLER
    assert result.session.actor.device == "desk-1" and result.session.actor.user_id == new.user.id
    assert len(result.recovery_codes) == len(set(result.recovery_codes)) == 10
    assert users.list_users(ADMIN)[0].enrolled
    with engine.connect() as conn:
        stored = set(conn.execute(select(RecoveryCode.code_hash)).scalars())
    assert len(stored) == 10 and not stored & set(result.recovery_codes)  # only hashes are kept

    clock.advance(30)
    again = users.begin_login("alice", PASSWORD)
    assert not again.needs_enrollment and again.enrollment is None
    assert users.complete_login(again, totp_code(new.enrollment.secret, clock())).recovery_codes == ()
    assert actions(engine) == ["user.add", "login.failed", "mfa.enroll", "login", "login"]


def test_one_call_login_refuses_a_pending_enrollment(users):
    users.add_user(SYSTEM_ACTOR, "alice", "teller", PASSWORD)
    with pytest.raises(EnrollmentRequired) as info:
        users.login("alice", PASSWORD, "123456")
    assert info.value.enrollment.otpauth_uri.startswith("otpauth://totp/")


def test_a_used_code_is_refused_on_reuse(users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    used = totp_code(secret, clock())
    users.login("alice", PASSWORD, used)
    clock.advance(10)
    with pytest.raises(CodeReused):
        users.login("alice", PASSWORD, used)
    with pytest.raises(CodeReused):  # an older step is refused as well
        users.login("alice", PASSWORD, totp_code(secret, clock() - timedelta(seconds=30)))
    clock.advance(20)
    assert users.login("alice", PASSWORD, totp_code(secret, clock())).session.username == "alice"


def test_recovery_code_replaces_the_totp_code_once(users, enroll):
    _, codes = enroll("alice")
    result = users.login("alice", PASSWORD, codes[3].upper())
    assert result.session.username == "alice" and result.recovery_codes_left == 9
    with pytest.raises(CodeReused):
        users.login("alice", PASSWORD, codes[3])
    with pytest.raises(InvalidCode):
        users.login("alice", PASSWORD, "aaaa-bbbb-cccc-dddd")


def test_unknown_user_and_wrong_password_look_the_same(engine, users, enroll):
    enroll("alice")
    with pytest.raises(BadCredentials) as unknown:
        users.begin_login("nobody", PASSWORD)
    with pytest.raises(BadCredentials) as wrong:
        users.begin_login("alice", "wrong password!!")
    assert str(unknown.value) == str(wrong.value) and unknown.value.to_dict() == wrong.value.to_dict()
    assert actions(engine)[-2:] == ["login.failed", "login.failed"]


def test_five_failures_lock_with_a_growing_delay(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    for _ in range(4):
        with pytest.raises(BadCredentials):
            users.begin_login("alice", "wrong password!!")
    with pytest.raises(AccountLocked) as locked:  # a wrong code counts too; the fifth failure locks
        users.login("alice", PASSWORD, "000000" if totp_code(secret, clock()) != "000000" else "111111")
    assert locked.value.until == clock() + timedelta(minutes=1)
    clock.advance(59)
    with pytest.raises(AccountLocked):  # even the right password and code are refused now
        users.login("alice", PASSWORD, totp_code(secret, clock()))
    clock.advance(-59)
    assert "locked until" in str(locked.value)

    clock.advance(61)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            users.begin_login("alice", "wrong password!!")
    with pytest.raises(AccountLocked) as second:
        users.begin_login("alice", "wrong password!!")
    assert second.value.until == clock() + timedelta(minutes=2)

    clock.advance(121)
    users.login("alice", PASSWORD, totp_code(secret, clock()))  # success resets the delay
    clock.advance(30)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            users.begin_login("alice", "wrong password!!")
    with pytest.raises(AccountLocked) as third:
        users.begin_login("alice", "wrong password!!")
    assert third.value.until == clock() + timedelta(minutes=1)
    assert actions(engine).count("account.lock") == 3


def test_lockout_delay_doubles_up_to_the_cap():
    from core.security.sessions import LockoutPolicy

    policy = LockoutPolicy()
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert policy.delay(40) == timedelta(hours=24)


def test_disabled_user_cannot_log_in_until_enabled(users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    users.disable(ADMIN, "alice")
    with pytest.raises(UserDisabled):
        users.begin_login("alice", PASSWORD)
    with pytest.raises(BadCredentials):  # a wrong password does not learn that the account is disabled
        users.begin_login("alice", "wrong password!!")
    users.enable(ADMIN, "alice")
    assert users.login("alice", PASSWORD, totp_code(secret, clock())).session.username == "alice"


def test_disabling_between_the_two_steps_refuses_the_code(users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    step = users.begin_login("alice", PASSWORD)
    users.disable(ADMIN, "alice")
    with pytest.raises(UserDisabled):
        users.complete_login(step, totp_code(secret, clock()))
    with pytest.raises(LoginExpired):  # the step is gone
        users.complete_login(step, totp_code(secret, clock()))


def test_login_step_expires(users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    step = users.begin_login("alice", PASSWORD)
    assert step.expires_at == clock() + timedelta(minutes=5)
    clock.advance(301)
    with pytest.raises(LoginExpired):
        users.complete_login(step, totp_code(secret, clock()))
    users.add_user(SYSTEM_ACTOR, "bob", "teller", PASSWORD)
    assert users.begin_login("bob", PASSWORD).expires_at == clock() + timedelta(minutes=15)  # time to set up an app


def test_reset_mfa_forces_enrollment_again(engine, users, enroll, clock, totp_code):
    old_secret, codes = enroll("alice")
    enrollment = users.reset_mfa(ADMIN, "alice")
    assert enrollment.secret != old_secret
    step = users.begin_login("alice", PASSWORD)
    assert step.needs_enrollment and step.enrollment.secret == enrollment.secret
    with pytest.raises(InvalidCode):  # recovery codes died with the old enrollment
        users.complete_login(step, codes[0])
    with pytest.raises(InvalidCode):
        users.complete_login(step, totp_code(old_secret, clock()))
    result = users.complete_login(step, totp_code(enrollment.secret, clock()))
    assert len(result.recovery_codes) == 10


def test_idle_unlock_needs_password_and_a_fresh_code(engine, users, enroll, clock, totp_code):
    secret, _ = enroll("alice")
    session = users.login("alice", PASSWORD, totp_code(secret, clock()), device="desk-7").session
    users.lock(session.actor)
    clock.advance(600)
    with pytest.raises(BadCredentials):
        users.unlock(session.actor, "wrong password!!", totp_code(secret, clock()))
    unlocked = users.unlock(session.actor, PASSWORD, totp_code(secret, clock()))
    assert unlocked.actor == session.actor
    with pytest.raises(CodeReused):
        users.unlock(session.actor, PASSWORD, totp_code(secret, clock()))
    users.reset_mfa(ADMIN, "alice")
    clock.advance(30)
    with pytest.raises(LoginExpired):
        users.unlock(session.actor, PASSWORD, totp_code(secret, clock()))
    users.logout(session.actor)
    assert actions(engine)[-8:] == ["login", "session.lock", "unlock.failed", "session.unlock", "unlock.failed",
                                    "mfa.reset", "unlock.failed", "logout"]


def test_audit_data_never_holds_secrets(engine, users, enroll, clock, totp_code):
    secret, codes = enroll("alice")
    users.login("alice", PASSWORD, codes[0])
    users.reset_mfa(ADMIN, "alice")
    with engine.connect() as conn:
        blob = " ".join(str(v) for row in conn.execute(text("select target, before, after from audit_log"))
                        for v in row)
        hashes = list(conn.execute(text("select password_hash from users")).scalars())
    for secret_text in [PASSWORD, secret, *codes, *hashes, "argon2"]:
        assert secret_text not in blob
