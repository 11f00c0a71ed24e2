"""QA #8: a receipt for a transfer that waits for approval says so (not "held for fraud review") and that
nothing has posted; after approval a new receipt says Posted."""
from __future__ import annotations

from core.ledger.views import TransferRequest
from tests.approvals.conftest import SUPERVISOR, TELLER
from tests.documents.test_pdf import _text


def test_receipt_of_a_transfer_waiting_for_approval(desk) -> None:
    ledger, approvals, teller, (a, b) = desk
    held = ledger.transfer(TELLER, TransferRequest(id="wait-1", debit=a, credit=b, amount=2_000_00, currency="USD"))
    assert held.approval is not None
    text = " ".join(_text(teller.receipt(TELLER, held.id)[0].output()).split())
    assert "NOT POSTED" in text and f"request #{held.approval}" in text and "supervisor" in text
    assert "fraud review" not in text and "money has not moved" in text
    approvals.approve(SUPERVISOR, held.approval)
    after = " ".join(_text(teller.receipt(TELLER, held.id)[0].output()).split())
    assert "Posted" in after and "NOT POSTED" not in after and "approval" not in after
