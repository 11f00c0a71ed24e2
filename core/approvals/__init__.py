"""Four eyes (maker/checker): actions that wait in a supervisor's approvals inbox, enforced in core.

    approvals = Approvals(ledger, Policy.from_env()); ledger.four_eyes = approvals
    result = ledger.transfer(teller, big)        # state "pending", result.approval = request id
    approvals.approve(supervisor, result.approval)  # posts it; the maker never approves their own

The names below are imported from their modules on first use, so reading the settings (``policy``) does
not load the service, its store and the models.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.approvals.errors import (
        AboveApprovalLimit, ApprovalExpired, ApprovalNotFound, ApprovalNotPending, ApprovalRequired, CheckerRequired, InvalidApproval,
        OwnRequest,
    )
    from core.approvals.policy import Need, Policy
    from core.approvals.reading import ApprovalDetail
    from core.approvals.service import Approvals
    from core.approvals.store import KIND_TEXT, ApprovalView

_MODULE_OF = {
    "Approvals": "service", "ApprovalDetail": "reading", "ApprovalView": "store", "KIND_TEXT": "store",
    "Policy": "policy", "Need": "policy", "ApprovalRequired": "errors", "ApprovalNotFound": "errors",
    "ApprovalNotPending": "errors", "ApprovalExpired": "errors", "OwnRequest": "errors",
    "CheckerRequired": "errors", "InvalidApproval": "errors", "AboveApprovalLimit": "errors",
}
__all__ = list(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value
