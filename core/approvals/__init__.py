"""Four eyes (maker/checker): actions that wait in a supervisor's approvals inbox, enforced in core.

    approvals = Approvals(ledger, Policy.from_env()); ledger.four_eyes = approvals
    result = ledger.transfer(teller, big)        # state "pending", result.approval = request id
    approvals.approve(supervisor, result.approval)  # posts it; the maker never approves their own
"""
from core.approvals.errors import (
    ApprovalExpired, ApprovalNotFound, ApprovalNotPending, ApprovalRequired, CheckerRequired, InvalidApproval,
    OwnRequest,
)
from core.approvals.policy import Need, Policy
from core.approvals.service import ApprovalDetail, Approvals
from core.approvals.store import KIND_TEXT, ApprovalView

__all__ = ["Approvals", "ApprovalDetail", "ApprovalView", "Policy", "Need", "KIND_TEXT", "ApprovalRequired",
           "ApprovalNotFound", "ApprovalNotPending", "ApprovalExpired", "OwnRequest", "CheckerRequired",
           "InvalidApproval"]
