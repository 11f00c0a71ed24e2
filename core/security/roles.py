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
    RECOMMENDATION_ACT = "recommendation.act"
    USER_MANAGE = "user.manage"
    SETTINGS_CHANGE = "settings.change"
    AUDIT_VIEW = "audit.view"
    AUDIT_VERIFY = "audit.verify"
    PAYMENT_TAKE = "payment.take"  # card payments: create, confirm, capture, cancel, refund
    CARD_REVEAL = "card.reveal"  # show a vaulted card's full number (with a reason; audited)
    RAILS_OPERATE = "rails.operate"  # export rail files, settle and return payment orders
    VAULT_ROTATE = "vault.rotate"
    APPROVAL_REQUEST = "approval.request"  # ask for a four-eyes action (hold release, freeze, close) (core.approvals)
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
    Permission.MODEL_TRAIN, Permission.AUDIT_VIEW, Permission.CARD_REVEAL, Permission.RAILS_OPERATE,
    Permission.HOLD_RELEASE, Permission.ALERT_REASSIGN, Permission.ALERT_SUPERVISE, Permission.APPROVAL_DECIDE,
    Permission.STANDING_RUN, Permission.DRAWER_SUPERVISE,
}
_ADMIN = {
    Permission.LEDGER_VIEW, Permission.USER_MANAGE, Permission.SETTINGS_CHANGE,
    Permission.AUDIT_VIEW, Permission.AUDIT_VERIFY, Permission.VAULT_ROTATE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TELLER: frozenset(_TELLER),
    Role.ANALYST: frozenset(_ANALYST),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.SYSTEM: frozenset(Permission),
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


def refusal(actor: Actor, permission: Permission) -> str:
    """``tom (teller) may not alert.disposition; the analyst or supervisor role may``: who is refused, and who
    to ask instead (so a refusal says what to do, not only what happened)."""
    holders = [r.value for r in USER_ROLES if permission in ROLE_PERMISSIONS[r]]
    who = (f"; the {' or '.join(holders)} role may" if holders else "") if actor.role.value not in holders else ""
    return f"{actor.username} ({actor.role.value}) may not {permission.value}{who}"


def check(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission`` (no auditing; see guard.authorize)."""
    if not actor.can(permission):
        raise PermissionDenied(refusal(actor, permission), permission=permission.value)
