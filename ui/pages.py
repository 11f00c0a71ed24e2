"""The console's pages, in navigation order, with the permission each needs and how to build it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.services import Services
from core.security.roles import Actor, Permission


@dataclass(frozen=True)
class PageSpec:
    """One navigation entry. ``awaiting`` names the capability a not-yet-available page waits for."""

    key: str
    title: str
    icon: str
    permission: Permission
    build: Callable[[Services, Actor], QWidget] | None = None
    awaiting: str | None = None
    keys: tuple[tuple[str, str], ...] = ()  # the page's own keys, listed by F1 only for a role that has the page

    def visible_to(self, actor: Actor) -> bool:
        return actor.can(self.permission)


def _teller(services: Services, actor: Actor) -> QWidget:
    from ui.teller.page import TellerPage

    return TellerPage(services, actor)


def _admin(services: Services, actor: Actor) -> QWidget:
    from ui.admin.page import AdminPage

    return AdminPage(services, actor)


def _fraud(services: Services, actor: Actor) -> QWidget:
    from ui.fraud.page import FraudPage

    return FraudPage(services, actor)


def _recommendations(services: Services, actor: Actor) -> QWidget:
    from ui.recommendations.page import RecommendationsPage

    return RecommendationsPage(services, actor)


def _payments(services: Services, actor: Actor) -> QWidget:
    from ui.payments.page import PaymentsPage

    return PaymentsPage(services, actor)


def _audit(services: Services, actor: Actor) -> QWidget:
    from ui.audit.page import AuditPage

    return AuditPage(services, actor)


def _approvals(services: Services, actor: Actor) -> QWidget:
    from ui.approvals.page import ApprovalsPage

    return ApprovalsPage(services, actor)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("teller", "Teller", "teller", Permission.TRANSFER_POST, _teller,
             keys=(("Ctrl+F", "Find a customer"),)),
    PageSpec("fraud", "Fraud queue", "fraud", Permission.ALERT_VIEW, _fraud,
             keys=(("Alt+N", "Claim the next alert"), ("Alt+C", "Claim the selected alert"),
                   ("Alt+R", "Release it to the queue"), ("Alt+D", "Decide (Ctrl+A then Alt+D: every selected alert)"),
                   ("Alt+A", "Open a case"), ("Alt+I", "Reassign"), ("Alt+O", "The payer's account"),
                   ("Alt+P / U / T / K / Y", "The alert's payment, customer, habits, linked alerts, history"),
                   ("Alt+W", "Write a note"))),
    PageSpec("recommendations", "Recommendations", "recommendations", Permission.RECOMMENDATION_ACT,
             _recommendations),
    PageSpec("payments", "Payments", "payments", Permission.PAYMENT_TAKE, _payments),
    PageSpec("admin", "Admin", "admin", Permission.USER_MANAGE, _admin),
    PageSpec("audit", "Audit", "audit", Permission.AUDIT_VIEW, _audit),
    PageSpec("approvals", "Approvals", "approvals", Permission.APPROVAL_REQUEST, _approvals),
)
