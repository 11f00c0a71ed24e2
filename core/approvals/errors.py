"""Refusals of the four-eyes rules (codes are stable: the command line prints them)."""
from __future__ import annotations

from core.errors import NotFound, PermissionDenied, QenexError, ValidationError


class ApprovalRequired(QenexError):
    """A person tried to do directly what needs a second person (release a hold, freeze or close an
    account, resolve a transfer that waits for approval)."""

    code = "approval_required"


class ApprovalNotFound(NotFound):
    code = "approval_not_found"


class ApprovalNotPending(QenexError):
    """The request was already approved, rejected, withdrawn, expired or failed."""

    code = "approval_not_pending"


class ApprovalExpired(QenexError):
    code = "approval_expired"


class OwnRequest(PermissionDenied):
    """The maker tried to approve or reject their own request."""

    code = "own_request"


class CheckerRequired(PermissionDenied):
    """Approving needs a named person; the system operator (command line without --as) is not one."""

    code = "checker_required"


class InvalidApproval(ValidationError):
    code = "invalid_approval"


class AboveApprovalLimit(PermissionDenied):
    """The checker's own role limit for the request's kind is below its amount (``core.approvals.authority``)."""

    code = "above_approval_limit"


class AboveEveryApprovalLimit(ValidationError):
    """The maker asked for more than any checker role may approve (``core.authority.refuse_uncovered``): nothing
    is created, the maker asks for less or an administrator raises a limit first."""

    code = "above_every_approval_limit"
