"""Administration (issue 8 §6): unlock a locked-out user, reset a password, every new or reset user chooses their
own password at first login; a role change, a disable or a reset ends that user's open sessions at their next
action. All audited, administrators only (both backends)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from core.errors import PermissionDenied, ValidationError
from core.ledger.service import Ledger
from core.security.errors import (
    AccountLocked, BadCredentials, PasswordChangeRequired, PasswordReuse, PasswordTooShort,
)
from core.security.roles import SYSTEM_ACTOR, Role
from core.security.session_check import SessionRevoked
from tests.security.conftest import PASSWORD

from core.security.roles import Actor as _Actor, Role as _Role

ADMIN = _Actor("root", _Role.ADMIN)  # a named administrator: user management is human-only (roles.HUMAN_ONLY)

NEW_PASSWORD = "my own long secret 42"


def session(users, enroll, clock, totp_code, name, role):  # noqa: ANN001, ANN201
    secret, _ = enroll(name, role)
    actor = users.login(name, PASSWORD, totp_code(secret, clock())).session.actor
    clock.advance(30)
    return actor, secret


def actions(engine, target: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "select actor, action from audit_log where target = :t order by id"), {"t": target})]


def test_a_new_user_chooses_their_own_password_at_first_login(engine, users, clock, totp_code):
    new = users.add_user(SYSTEM_ACTOR, "alice", "teller", PASSWORD)
    assert new.user.must_change_password
    step = users.begin_login("alice", PASSWORD)
    assert step.needs_enrollment and step.needs_password_change
    code = totp_code(new.enrollment.secret, clock())
    with pytest.raises(PasswordChangeRequired):
        users.complete_login(step, code)
    with pytest.raises(PasswordTooShort):
        users.complete_login(step, code, new_password="short")
    with pytest.raises(PasswordReuse):
        users.complete_login(step, code, new_password=PASSWORD)
    result = users.complete_login(step, code, new_password=NEW_PASSWORD)  # the step survived the refusals
    assert result.session.actor.username == "alice" and len(result.recovery_codes) == 10
    assert not users.list_users(ADMIN)[0].must_change_password
    clock.advance(30)
    with pytest.raises(BadCredentials):
        users.begin_login("alice", PASSWORD)  # the administrator's password no longer works
    assert not users.begin_login("alice", NEW_PASSWORD).needs_password_change
    assert ("alice", "password.change") in actions(engine, "alice")
    with engine.connect() as conn:
        failed = conn.execute(text("select count(*) from audit_log where action = 'login.failed' "
                                   "and target = 'alice'")).scalar_one()
    assert failed == 1  # only the wrong password at the end; refused new passwords do not count


def test_the_one_call_login_refuses_a_required_change(users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    secret, _ = enroll("alice", "teller")
    users.reset_password(admin, "alice", "a temporary one 7")
    with pytest.raises(PasswordChangeRequired):
        users.login("alice", "a temporary one 7", totp_code(secret, clock()))


def test_only_the_system_may_create_a_user_who_keeps_the_given_password(users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    with pytest.raises(PermissionDenied):
        users.add_user(admin, "tom", "teller", PASSWORD, must_change_password=False)
    assert users.add_user(admin, "tom", "teller", PASSWORD).user.must_change_password


def test_an_admin_unlocks_a_locked_out_user(engine, users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    secret, _ = enroll("tom", "teller")
    for _ in range(users.lockout.max_failures):
        with pytest.raises((BadCredentials, AccountLocked)):
            users.begin_login("tom", "wrong password!!")
    with pytest.raises(AccountLocked):
        users.begin_login("tom", PASSWORD)
    view = users.unlock_user(admin, "tom")
    assert view.locked_until is None and view.failed_attempts == 0
    assert users.login("tom", PASSWORD, totp_code(secret, clock())).session.actor.username == "tom"
    assert ("boss", "user.unlock") in actions(engine, "tom")


def test_a_password_reset_gives_a_temporary_password_the_user_must_replace(engine, users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    tom, secret = session(users, enroll, clock, totp_code, "tom", "teller")
    temporary = users.reset_password(admin, "tom")
    assert len(temporary) >= 12 and temporary != PASSWORD
    ledger = Ledger(engine, audit=users.audit)
    with pytest.raises(SessionRevoked) as info:  # tom's open session ends at his next action
        ledger.accounts(tom)
    assert "reset your password" in info.value.message and info.value.details["reason"] == "password_reset"
    with pytest.raises(BadCredentials):
        users.begin_login("tom", PASSWORD)
    step = users.begin_login("tom", temporary)
    assert step.needs_password_change and not step.needs_enrollment
    users.complete_login(step, totp_code(secret, clock()), new_password=NEW_PASSWORD)
    assert ("boss", "password.reset") in actions(engine, "tom")
    with engine.connect() as conn:
        after = conn.execute(text("select after from audit_log where action = 'password.reset'")).scalar_one()
    assert temporary not in after and "hash" not in after and "change_at_login" in after


def test_an_admin_cannot_reset_their_own_password_and_only_admins_may(users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    teller, _ = session(users, enroll, clock, totp_code, "tom", "teller")
    with pytest.raises(ValidationError):
        users.reset_password(admin, "boss")
    with pytest.raises(PermissionDenied):
        users.reset_password(teller, "boss")
    with pytest.raises(PermissionDenied):
        users.unlock_user(teller, "boss")


@pytest.mark.parametrize("change, why", [
    (lambda users, admin: users.change_role(admin, "tom", Role.ANALYST), "role"),
    (lambda users, admin: users.disable(admin, "tom"), "disabled"),
])
def test_a_role_change_or_a_disable_ends_open_sessions_at_the_next_action(engine, users, enroll, clock, totp_code,
                                                                            change, why):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    tom, _ = session(users, enroll, clock, totp_code, "tom", "teller")
    ledger = Ledger(engine, audit=users.audit)
    assert ledger.accounts(tom) == []  # the session works
    change(users, admin)
    with pytest.raises(SessionRevoked) as info:
        ledger.accounts(tom)
    assert info.value.details["reason"] == why and "sign in again" in info.value.message
    with pytest.raises(SessionRevoked):  # every service: users too
        users.list_users(tom)
    assert ("tom", "session.revoked") in actions(engine, "tom")


def test_an_idle_locked_desk_of_a_re_roled_user_does_not_reopen(engine, users, enroll, clock, totp_code):
    admin, _ = session(users, enroll, clock, totp_code, "boss", "admin")
    tom, secret = session(users, enroll, clock, totp_code, "tom", "teller")
    users.lock(tom)
    users.change_role(admin, "tom", "analyst")
    with pytest.raises(SessionRevoked):
        users.unlock(tom, PASSWORD, totp_code(secret, clock()))
    fresh = users.login("tom", PASSWORD, totp_code(secret, clock())).session.actor
    assert fresh.role is Role.ANALYST


def test_the_system_operator_is_not_a_session(engine, users):
    assert Ledger(engine, audit=users.audit).accounts(SYSTEM_ACTOR) == []
