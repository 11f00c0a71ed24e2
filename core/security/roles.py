"""Roles, permissions and the acting user every core call carries."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import PermissionDenied


class Role(StrEnum):
    TELLER = "teller"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"  # the command line and scheduled jobs, acting as the bank's operator
    ANONYMOUS = "anonymous"  # nobody logged in yet (failed logins are audited under this role)


class Permission(StrEnum):
    LEDGER_VIEW = "ledger.view"
    CUSTOMER_ADD = "customer.add"
    ACCOUNT_OPEN = "account.open"
    ACCOUNT_STATUS = "account.status"  # freeze, unfreeze, close
    TRANSFER_POST = "transfer.post"
    CASH = "cash.move"  # deposits and withdrawals at the desk
    PENDING_RESOLVE = "transfer.resolve"  # post or void a pending transfer
    HOLD_PLACE = "hold.place"  # block an amount on a customer's account (core.teller.holds)
    HOLD_RELEASE = "hold.release"  # release (or collect) a hold before its expiry
    TRANSFER_CORRECT = "transfer.correct"
    BATCH_POST = "transfer.batch"
    ALERT_VIEW = "alert.view"
    ALERT_DISPOSITION = "alert.disposition"  # claim, decide, cases, suppressions
    ALERT_REASSIGN = "alert.reassign"  # move another analyst's claim
    ALERT_SUPERVISE = "alert.supervise"  # take and decide escalated alerts
    MODEL_TRAIN = "model.train"
    RECOMMENDATION_VIEW = "recommendation.view"  # read the fraud model's runs, recommendations and state
    RECOMMENDATION_ACT = "recommendation.act"  # accept, reject, roll back
    USER_ADD = "user.add"  # provision a user account (how the first administrator is made)
    USER_MANAGE = "user.manage"  # list users, disable/enable, change a role, unlock, reset a password or MFA
    SETTINGS_CHANGE = "settings.change"
    AUDIT_VIEW = "audit.view"
    AUDIT_VERIFY = "audit.verify"
    PAYMENT_TAKE = "payment.take"  # card payments: create, confirm, capture, cancel, refund
    CARD_REVEAL = "card.reveal"  # show a vaulted card's full number (with a reason; audited)
    RAILS_OPERATE = "rails.operate"  # export rail files, settle and return payment orders
    VAULT_ROTATE = "vault.rotate"
    APPROVAL_REQUEST = "approval.request"  # ask for a four-eyes action (hold release, freeze, close) (core.approvals)
    APPROVAL_EXPIRE = "approval.expire"  # close four-eyes requests whose time passed (a checker's or the scheduler's)
    APPROVAL_DECIDE = "approval.decide"  # approve or reject another person's request (never one's own)
    DRAWER_SUPERVISE = "drawer.supervise"  # use, count, close or read another teller's cash drawer (core.drawers)
    STANDING_RUN = "standing.run"  # run the due standing instructions now (the scheduler's job, core.teller.standing)


_TELLER = {
    Permission.LEDGER_VIEW, Permission.CUSTOMER_ADD, Permission.ACCOUNT_OPEN,
    Permission.TRANSFER_POST, Permission.CASH, Permission.PENDING_RESOLVE, Permission.PAYMENT_TAKE,
    Permission.HOLD_PLACE, Permission.APPROVAL_REQUEST,
}
_ANALYST = {Permission.LEDGER_VIEW, Permission.ALERT_VIEW, Permission.ALERT_DISPOSITION}
_SUPERVISOR = _TELLER | _ANALYST | {
    Permission.ACCOUNT_STATUS, Permission.TRANSFER_CORRECT, Permission.RECOMMENDATION_ACT,
    Permission.RECOMMENDATION_VIEW,
    Permission.MODEL_TRAIN, Permission.AUDIT_VIEW, Permission.CARD_REVEAL, Permission.RAILS_OPERATE,
    Permission.HOLD_RELEASE, Permission.ALERT_REASSIGN, Permission.ALERT_SUPERVISE, Permission.APPROVAL_DECIDE,
    Permission.STANDING_RUN, Permission.DRAWER_SUPERVISE, Permission.APPROVAL_EXPIRE,
}
_ADMIN = {
    Permission.LEDGER_VIEW, Permission.USER_ADD, Permission.USER_MANAGE, Permission.SETTINGS_CHANGE,
    Permission.AUDIT_VIEW, Permission.AUDIT_VERIFY, Permission.VAULT_ROTATE,
}

# Decisions that need a person's judgement or accountability: the system actor (the command line without
# ``--as USER``, scheduled jobs, webhooks, demo seeding) never holds them, on every path (core checks
# ``Actor.can``). What scheduled jobs do stays the system's: expiring pending transfers, holds and approval
# requests (they release what nobody decided), escalating overdue alerts (ALERT_VIEW), running standing
# instructions, retraining on schedule (MODEL_TRAIN), sealing the audit trail, seeding a demo bank, provisioning
# users (USER_ADD, how the first administrator is made) and reading (ALERT_VIEW, RECOMMENDATION_VIEW, ...).
HUMAN_ONLY: frozenset[Permission] = frozenset({
    Permission.RECOMMENDATION_ACT,  # a supervisor answers for a change to the live fraud model
    Permission.APPROVAL_DECIDE,  # four eyes: the second pair must belong to someone
    Permission.ALERT_DISPOSITION,  # claim, decide, snooze, suppress, cases, raise by hand, fraud labels
    Permission.ALERT_SUPERVISE,
    Permission.ALERT_REASSIGN,
    Permission.CARD_REVEAL,  # a full card number is shown to a person, for a reason
    Permission.TRANSFER_CORRECT,
    Permission.ACCOUNT_STATUS,  # freeze, unfreeze, close
    Permission.HOLD_RELEASE,  # releasing a hold before its expiry (expiry itself is the system's)
    Permission.USER_MANAGE,
})

# Each permission in plain words, for refusals ("tom (teller) may not decide fraud alerts; ...").
PLAIN: dict[Permission, str] = {
    Permission.LEDGER_VIEW: "see accounts and balances",
    Permission.CUSTOMER_ADD: "add customers",
    Permission.ACCOUNT_OPEN: "open accounts",
    Permission.ACCOUNT_STATUS: "freeze, unfreeze or close accounts",
    Permission.TRANSFER_POST: "post transfers",
    Permission.CASH: "take deposits and pay withdrawals",
    Permission.PENDING_RESOLVE: "post or void pending transfers",
    Permission.HOLD_PLACE: "place holds on accounts",
    Permission.HOLD_RELEASE: "release holds before they expire",
    Permission.TRANSFER_CORRECT: "correct posted transfers",
    Permission.BATCH_POST: "post batches of transfers",
    Permission.ALERT_VIEW: "see fraud alerts",
    Permission.ALERT_DISPOSITION: "work and decide fraud alerts and cases, or label transfers as fraud or genuine",
    Permission.ALERT_REASSIGN: "move another analyst's fraud alert",
    Permission.ALERT_SUPERVISE: "take and decide escalated fraud alerts",
    Permission.MODEL_TRAIN: "train the fraud model",
    Permission.RECOMMENDATION_VIEW: "see the fraud model's recommendations",
    Permission.RECOMMENDATION_ACT: "act on fraud-model recommendations",
    Permission.USER_ADD: "add users",
    Permission.USER_MANAGE: "manage users",
    Permission.SETTINGS_CHANGE: "change settings",
    Permission.AUDIT_VIEW: "read the audit trail",
    Permission.AUDIT_VERIFY: "verify the audit trail",
    Permission.PAYMENT_TAKE: "take card payments",
    Permission.CARD_REVEAL: "reveal full card numbers",
    Permission.RAILS_OPERATE: "export, settle and return payment orders",
    Permission.VAULT_ROTATE: "rotate the encryption keys",
    Permission.APPROVAL_REQUEST: "ask for four-eyes approvals",
    Permission.APPROVAL_DECIDE: "approve or reject four-eyes requests",
    Permission.APPROVAL_EXPIRE: "close four-eyes requests whose time has passed",
    Permission.DRAWER_SUPERVISE: "use, count, close or read another teller's cash drawer",
    Permission.STANDING_RUN: "run the due standing instructions now (the scheduler runs them by itself)",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TELLER: frozenset(_TELLER),
    Role.ANALYST: frozenset(_ANALYST),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.SYSTEM: frozenset(Permission) - HUMAN_ONLY,
    Role.ANONYMOUS: frozenset(),
}

# The roles a user account can have (SYSTEM and ANONYMOUS are never assigned to a person).
USER_ROLES: tuple[Role, ...] = (Role.TELLER, Role.ANALYST, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, or the system operator for the command line."""

    username: str
    role: Role
    user_id: int | None = None
    device: str | None = None  # the desk's fingerprint, when acting from a desk
    session: bool = True  # False: a command line's ``--as USER`` (no login; the user is read afresh on each call)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


SYSTEM_ACTOR = Actor(username="system", role=Role.SYSTEM)


def sees_fraud_details(actor: Actor) -> bool:
    """Whether ``actor`` is shown how the fraud screen rates a payment (its score and reasons): only with
    ``alert.view``. A teller sees the decision alone ("held for review by the fraud team"): telling the
    customer what tripped the screen would tip them off (QA #28, QA3 #5)."""
    return actor.can(Permission.ALERT_VIEW)


def holders(permission: Permission) -> list[str]:
    """The user roles that hold ``permission`` (``["analyst", "supervisor"]``)."""
    return [r.value for r in USER_ROLES if permission in ROLE_PERMISSIONS[r]]


def refusal(actor: Actor, permission: Permission) -> str:
    """Who is refused, in plain words, and who to ask instead (a refusal says what to do, not only what happened):

    ``tom (teller) may not decide ...; the analyst or supervisor role may``, and for the system actor and a
    HUMAN_ONLY permission ``system (the system operator) may not act on fraud-model recommendations: that needs a
    named supervisor; run the command with --as USER``.
    """
    words, roles = PLAIN.get(permission, permission.value), holders(permission)
    if actor.role is Role.SYSTEM and permission in HUMAN_ONLY:
        return (f"{actor.username} (the system operator) may not {words}: that needs a named "
                f"{' or '.join(roles) or 'person'}; run the command with --as USER")
    who = (f"; the {' or '.join(roles)} role may" if roles else "") if actor.role.value not in roles else ""
    return f"{actor.username} ({actor.role.value}) may not {words}{who}"


def check(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission`` (no auditing; see guard.authorize)."""
    if not actor.can(permission):
        raise PermissionDenied(refusal(actor, permission), permission=permission.value)
