"""Typed refusals of fraud case work. Each leaves the database exactly as it was."""
from __future__ import annotations

from core.errors import NotFound, PermissionDenied, QenexError, ValidationError


class AlertNotFound(NotFound):
    code = "alert_not_found"


class CaseNotFound(NotFound):
    code = "case_not_found"


class AlertClosed(QenexError):
    """The alert already has its final outcome (or its hold was resolved elsewhere)."""

    code = "alert_closed"


class ClaimedByOther(QenexError):
    """Another analyst holds the alert: they release it, or a supervisor reassigns it (``claims.claimed_words``)."""

    code = "claimed_by_other"


class NotClaimed(QenexError):
    code = "not_claimed"


class NothingToClaim(QenexError):
    code = "queue_empty"


class NeedsSupervisor(QenexError):
    """The alert was escalated: only a supervisor may claim or decide it."""

    code = "needs_supervisor"


class NoteRequired(ValidationError):
    code = "note_required"


class CaseClosed(QenexError):
    code = "case_closed"


class FileTooLarge(ValidationError):
    code = "file_too_large"


class HoldNotResolvable(QenexError):
    """The held payment cannot follow the decision (already expired, resolved or missing)."""

    code = "hold_not_resolvable"


class OwnTransfer(PermissionDenied):
    """The person who made a held transfer (or took a held card payment) tried to release or decline it:
    maker and checker are two people (FIELD.md, maker-checker)."""

    code = "own_transfer"
