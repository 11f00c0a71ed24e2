"""Roles are enforced in core: refused calls raise PermissionDenied and leave a "permission.denied" entry."""
import pytest
from sqlalchemy import text

from core.errors import PermissionDenied, ValidationError
from core.security.errors import InvalidRole, InvalidUsername, LastAdmin, UsernameTaken, UserNotFound
from core.security.guard import authorize
from core.security.roles import ROLE_PERMISSIONS, SYSTEM_ACTOR, Actor, Permission, Role

ADMIN = Actor("root", Role.ADMIN)  # a named administrator: user management is human-only (roles.HUMAN_ONLY)

PASSWORD = "correct horse battery"


def session(users, enroll, clock, totp_code, name, role):
    secret, _ = enroll(name, role)
    actor = users.login(name, PASSWORD, totp_code(secret, clock())).session.actor
    clock.advance(30)
    return actor


def denials(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "select actor, role, after from audit_log where action = 'permission.denied' order by id"))]


ADMIN_CALLS = {
    "list_users": lambda users, actor: users.list_users(actor),
    "add_user": lambda users, actor: users.add_user(actor, "mallory", "admin", PASSWORD),
    "disable": lambda users, actor: users.disable(actor, "boss"),
    "enable": lambda users, actor: users.enable(actor, "boss"),
    "change_role": lambda users, actor: users.change_role(actor, "tom", "admin"),
    "reset_mfa": lambda users, actor: users.reset_mfa(actor, "boss"),
}


@pytest.mark.parametrize("call", sorted(ADMIN_CALLS))
def test_a_teller_cannot_call_admin_actions(engine, users, enroll, clock, totp_code, call):
    session(users, enroll, clock, totp_code, "boss", "admin")
    teller = session(users, enroll, clock, totp_code, "tom", "teller")
    with pytest.raises(PermissionDenied) as refused:
        ADMIN_CALLS[call](users, teller)
    wanted = "user.add" if call == "add_user" else "user.manage"
    assert refused.value.details["permission"] == wanted
    assert denials(engine) == [("tom", "teller", f'{{"permission":"{wanted}"}}')]
    assert [u.role for u in users.list_users(ADMIN)] == [Role.ADMIN, Role.TELLER]  # nothing changed


def test_a_teller_cannot_call_analyst_or_supervisor_actions(engine, users, audit, enroll, clock, totp_code):
    teller = session(users, enroll, clock, totp_code, "tom", "teller")
    for permission in (Permission.ALERT_DISPOSITION, Permission.ALERT_VIEW, Permission.AUDIT_VIEW,
                       Permission.ACCOUNT_STATUS, Permission.MODEL_TRAIN):
        with pytest.raises(PermissionDenied):
            authorize(engine, audit, teller, permission, target="alert-1")
    with pytest.raises(PermissionDenied):
        audit.query(engine, teller)
    with pytest.raises(PermissionDenied):
        audit.verify(engine, teller)
    assert len(denials(engine)) == 7
    authorize(engine, audit, teller, Permission.TRANSFER_POST)  # allowed: no exception, nothing written
    assert len(denials(engine)) == 7


def test_every_role_gets_exactly_its_permissions(engine, audit):
    for role, allowed in ROLE_PERMISSIONS.items():
        actor = Actor(username=f"{role.value}-user", role=role)
        for permission in Permission:
            if permission in allowed:
                authorize(engine, audit, actor, permission)
            else:
                with pytest.raises(PermissionDenied):
                    authorize(engine, audit, actor, permission)


def test_supervisor_views_the_audit_but_cannot_manage_users(users, audit, enroll, clock, totp_code, engine):
    supervisor = session(users, enroll, clock, totp_code, "sue", "supervisor")
    assert audit.count(engine, supervisor) > 0
    with pytest.raises(PermissionDenied):
        users.list_users(supervisor)


def test_admin_manages_users(engine, users, enroll, clock, totp_code):
    admin = session(users, enroll, clock, totp_code, "boss", "admin")
    users.add_user(admin, "tom", "teller", PASSWORD)
    assert users.change_role(admin, "tom", Role.ANALYST).role is Role.ANALYST
    assert users.disable(admin, "tom").status == "disabled"
    assert users.enable(admin, "tom").status == "active"
    with engine.connect() as conn:
        rows = list(conn.execute(text("select actor, action, before, after from audit_log "
                                      "where target = 'tom' and action like 'user.%' order by id")))
    assert [tuple(r) for r in rows] == [
        ("boss", "user.add", None, '{"change_at_login":true,"role":"teller","status":"active"}'),
        ("boss", "user.role", '{"role":"teller"}', '{"role":"analyst"}'),
        ("boss", "user.disable", '{"status":"active"}', '{"status":"disabled"}'),
        ("boss", "user.enable", '{"failed_attempts":0,"locked_until":null,"lockouts":0,"status":"disabled"}',
         '{"failed_attempts":0,"locked_until":null,"lockouts":0,"status":"active"}'),
    ]


def test_the_last_admin_and_the_own_account_are_protected(users, enroll, clock, totp_code):
    admin = session(users, enroll, clock, totp_code, "boss", "admin")
    with pytest.raises(ValidationError):
        users.disable(admin, "boss")
    with pytest.raises(LastAdmin):
        users.change_role(ADMIN, "boss", "teller")
    with pytest.raises(LastAdmin):
        users.disable(ADMIN, "boss")
    users.add_user(admin, "second", "admin", PASSWORD)
    assert users.disable(ADMIN, "boss").status == "disabled"


@pytest.mark.parametrize("name, role, error", [
    ("x", "teller", InvalidUsername),
    ("system", "teller", InvalidUsername),
    ("bob smith", "teller", InvalidUsername),
    ("bob", "system", InvalidRole),
    ("bob", "boss", InvalidRole),
])
def test_bad_user_input_is_refused_and_writes_nothing(engine, users, name, role, error):
    with pytest.raises(error):
        users.add_user(SYSTEM_ACTOR, name, role, PASSWORD)
    assert users.list_users(ADMIN) == []


def test_duplicate_and_missing_users(users):
    users.add_user(SYSTEM_ACTOR, "bob", "teller", PASSWORD)
    with pytest.raises(UsernameTaken):
        users.add_user(SYSTEM_ACTOR, "BOB", "analyst", PASSWORD)
    with pytest.raises(UserNotFound):
        users.disable(ADMIN, "nobody")


def test_the_system_actor_never_makes_a_human_decision(engine, audit):
    """HUMAN_ONLY: every path (CLI without --as, scheduled jobs, webhooks) is refused, audited, with what to do."""
    from core.security.roles import HUMAN_ONLY, refusal

    assert {Permission.RECOMMENDATION_ACT, Permission.APPROVAL_DECIDE, Permission.ALERT_DISPOSITION,
            Permission.ALERT_SUPERVISE, Permission.ALERT_REASSIGN, Permission.CARD_REVEAL,
            Permission.TRANSFER_CORRECT, Permission.ACCOUNT_STATUS, Permission.HOLD_RELEASE,
            Permission.USER_MANAGE} <= HUMAN_ONLY
    scheduler = Actor("scheduler", Role.SYSTEM)
    for permission in HUMAN_ONLY:
        assert not SYSTEM_ACTOR.can(permission)
        with pytest.raises(PermissionDenied) as refused:
            authorize(engine, audit, scheduler, permission, target="x")
        assert "--as USER" in refused.value.message and permission.value not in refused.value.message
    assert len(denials(engine)) == len(HUMAN_ONLY)
    assert refusal(SYSTEM_ACTOR, Permission.RECOMMENDATION_ACT) == (
        "system (the system operator) may not act on fraud-model recommendations: that needs a named supervisor; "
        "run the command with --as USER")
    for permission in (Permission.MODEL_TRAIN, Permission.ALERT_VIEW, Permission.RECOMMENDATION_VIEW,
                       Permission.USER_ADD, Permission.TRANSFER_POST, Permission.AUDIT_VERIFY):
        authorize(engine, audit, scheduler, permission)  # what scheduled jobs and reading need stays the system's


def test_refusals_name_the_permission_in_plain_words():
    from core.security.roles import PLAIN, refusal

    assert set(PLAIN) == set(Permission)
    tom = Actor("tom", Role.TELLER)
    assert refusal(tom, Permission.RECOMMENDATION_ACT) == (
        "tom (teller) may not act on fraud-model recommendations; the supervisor role may")
    assert refusal(tom, Permission.ALERT_DISPOSITION).endswith("; the analyst or supervisor role may")
    assert refusal(Actor("ann", Role.ANALYST), Permission.ALERT_SUPERVISE) == (
        "ann (analyst) may not take and decide escalated fraud alerts; the supervisor role may")
