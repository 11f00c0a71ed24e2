"""Issue 8 §7: failed unlocks of a locked desk are audited under the desk's user, never as "anonymous"."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from core.security.errors import AccountLocked, BadCredentials, InvalidCode
from tests.security.conftest import PASSWORD


def entries(engine, since: int) -> list[tuple[str, str, str, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "select actor, role, action, device from audit_log where id > :i order by id"), {"i": since})]


def last_id(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("select coalesce(max(id), 0) from audit_log")).scalar_one()


def test_failed_unlocks_and_the_lockout_they_cause_are_audited_under_the_desks_user(engine, users, enroll, clock,
                                                                                     totp_code):
    secret, _ = enroll("alice")
    session = users.login("alice", PASSWORD, totp_code(secret, clock()), device="desk-7").session
    users.lock(session.actor)
    start = last_id(engine)
    clock.advance(60)
    with pytest.raises(BadCredentials):
        users.unlock(session.actor, "wrong password!!", totp_code(secret, clock()))
    with pytest.raises(InvalidCode):
        users.unlock(session.actor, PASSWORD, "000000" if totp_code(secret, clock()) != "000000" else "111111")
    for _ in range(2):
        with pytest.raises(BadCredentials):
            users.unlock(session.actor, "wrong password!!", "123456")
    with pytest.raises(AccountLocked):  # the fifth failure locks the account
        users.unlock(session.actor, "wrong password!!", "123456")
    with pytest.raises(AccountLocked):  # refused while locked
        users.unlock(session.actor, PASSWORD, totp_code(secret, clock()))
    logged = entries(engine, start)
    assert [a for _, _, a, _ in logged] == ["unlock.failed"] * 5 + ["account.lock", "unlock.refused"]
    assert {(actor, role, device) for actor, role, _, device in logged} == {("alice", "teller", "desk-7")}


def test_failed_logins_stay_anonymous(engine, users, enroll, clock):
    enroll("alice")
    start = last_id(engine)
    with pytest.raises(BadCredentials):
        users.begin_login("alice", "wrong password!!", device="desk-7")
    assert entries(engine, start) == [("anonymous", "anonymous", "login.failed", "desk-7")]
