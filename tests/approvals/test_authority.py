"""QA4 #1: a checker approves a four-eyes request only up to their own role's limit for its kind; above it the
refusal names who may approve it and what to do, on every approving path (one, bulk), audited."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.approvals import AboveApprovalLimit
from core.approvals.errors import AboveEveryApprovalLimit
from core.approvals.store import R
from core.ledger.views import TransferRequest
from core.persistence.models import AuditEntry
from core.security.roles import SYSTEM_ACTOR
from tests.approvals.conftest import SUPERVISOR, SUPERVISOR_2, TELLER


def _send(ledger, a, b, amount, id):  # noqa: ANN001, ANN202
    return ledger.transfer(TELLER, TransferRequest(id=id, debit=a, credit=b, amount=amount, currency="USD"))


def test_a_transfer_above_the_checkers_own_limit_is_refused_and_stays_waiting(desk, engine):
    ledger, approvals, _t, (a, b) = desk  # limits: teller 1,000.00, supervisor 5,000.00
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 8_000_00)
    held = _send(ledger, a, b, 7_000_00, "above-both")
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 5_000_00)  # lowered while it waits
    with pytest.raises(AboveApprovalLimit) as err:
        approvals.approve(SUPERVISOR, held.approval)
    text = err.value.message
    assert "7,000.00" in text and "above your supervisor limit of $5,000.00" in text and "nothing was changed" in text
    assert "qenex approvals limits --set supervisor USD 7000.00" in text and "reject it" in text
    assert err.value.code == "above_approval_limit"
    assert approvals.get(SUPERVISOR, held.approval).state == "pending"
    assert ledger.balance(TELLER, b).current == 0
    with engine.connect() as conn:
        assert "approval.refused" in set(conn.execute(select(AuditEntry.action)).scalars())
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 8_000_00)  # an administrator raises it
    assert approvals.approve(SUPERVISOR, held.approval).state == "approved"
    assert ledger.balance(TELLER, b).current == 7_000_00


def test_within_the_checkers_limit_approves_as_before(desk):
    ledger, approvals, _t, (a, b) = desk
    held = _send(ledger, a, b, 5_000_00, "at-the-limit")
    assert approvals.approve(SUPERVISOR, held.approval).state == "approved"


def test_bulk_approve_refuses_each_above_the_limit_on_its_own(desk):
    ledger, approvals, _t, (a, b) = desk
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 9_000_00)
    ids = [_send(ledger, a, b, amount, f"bulk-{amount}").approval for amount in (2_000_00, 9_000_00, 3_000_00)]
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 5_000_00)  # lowered while they wait
    results = approvals.approve_many(SUPERVISOR_2, ids)
    assert [getattr(r, "state", None) or r.code for r in results] == ["approved", "above_approval_limit", "approved"]


def test_other_kinds_follow_the_checkers_limit_too(desk, clock):
    """A hold release and an overdraft are bounded by the checker's own limits; freezing has no amount."""
    ledger, approvals, teller, (a, _b) = desk
    hold = teller.place_hold(SUPERVISOR, a, 6_000_00, "cheque", clock() + timedelta(days=3))
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 6_000_00)
    asked = approvals.request_hold_release(TELLER, hold.id, "the cheque has cleared today")
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 5_000_00)
    with pytest.raises(AboveApprovalLimit, match="limit of \\$5,000.00"):
        approvals.approve(SUPERVISOR_2, asked.id)
    freeze = approvals.request_status(TELLER, a, "frozen", "card stolen")
    assert approvals.approve(SUPERVISOR_2, freeze.id).state == "approved"
    customer = ledger.add_customer(SYSTEM_ACTOR, "Zoe Example").id
    acc = ledger.open_account(TELLER, customer, "USD", 20_000_00)  # default overdraft limits: supervisor 25,000
    approvals.policy.overdrafts["supervisor"] = Decimal(10_000)  # lowered while it waits
    with pytest.raises(AboveApprovalLimit, match="overdraft limit"):
        approvals.approve(SUPERVISOR, acc.overdraft_request)


def test_a_maker_asking_above_every_checkers_limit_is_told_at_once_and_nothing_is_created(desk, clock, engine):
    """A teller could send a request above every checker role's limit; only the checker learned nobody could
    approve it. Now the maker is told at request time, for every kind with an amount, and nothing is created."""
    ledger, approvals, teller, (a, b) = desk  # four-eyes limits: supervisor 5,000.00; overdraft: supervisor 25,000
    with pytest.raises(AboveEveryApprovalLimit) as err:
        _send(ledger, a, b, 7_000_00, "above-every")
    text = err.value.message
    assert "$7,000.00 is above every approver's limit (the highest: supervisor, $5,000.00)" in text
    assert "ask for $5,000.00 or less" in text and "qenex approvals limits --set supervisor USD 7000.00" in text
    assert "nothing was created" in text and err.value.code == "above_every_approval_limit"
    assert ledger.balance(TELLER, a).available == ledger.balance(TELLER, a).current  # nothing held
    hold = teller.place_hold(SUPERVISOR, a, 6_000_00, "cheque", clock() + timedelta(days=3))
    with pytest.raises(AboveEveryApprovalLimit, match="supervisor, \\$5,000.00"):
        approvals.request_hold_release(TELLER, hold.id, "the cheque has cleared today")
    customer = ledger.add_customer(SYSTEM_ACTOR, "Zoe Example").id
    with pytest.raises(AboveEveryApprovalLimit, match="QENEX_OVERDRAFT_LIMITS"):
        ledger.open_account(TELLER, customer, "USD", 30_000_00)
    with pytest.raises(AboveEveryApprovalLimit, match="QENEX_OVERDRAFT_LIMITS"):
        ledger.set_overdraft(TELLER, a, 30_000_00)
    with engine.connect() as conn:
        assert conn.execute(select(R.c.id)).first() is None  # no request was created
    assert len(ledger.accounts(SYSTEM_ACTOR, customer_id=customer)) == 0
    assert _send(ledger, a, b, 5_000_00, "within").approval is not None  # within a checker's limit: asks as before


def test_the_confirmation_before_money_moves_says_refused_when_nobody_could_approve(desk):
    """would_wait (the cash and payment confirmations) said "will wait for approval" for an amount above every
    checker's limit, which the posting then refused; it now refuses as the posting does, with what to do. So does
    the overdraft's confirmation (Teller.overdraft_check), and the transfer preview as before."""
    ledger, approvals, teller, (a, b) = desk  # four-eyes limits: teller 1,000.00, supervisor 5,000.00
    assert approvals.would_wait(TELLER, 5_000_00, "USD") == "above the teller limit of $1,000.00"
    assert approvals.would_wait(TELLER, 1_000_00, "USD") is None
    with pytest.raises(AboveEveryApprovalLimit) as err:
        approvals.would_wait(TELLER, 7_000_00, "USD")
    assert "ask for $5,000.00 or less" in err.value.message
    with pytest.raises(AboveEveryApprovalLimit):
        teller.preview(TELLER, TransferRequest(id="p", debit=a, credit=b, amount=7_000_00, currency="USD"))
    assert approvals.would_wait(SYSTEM_ACTOR, 7_000_00, "USD") is None  # the operator's import never asks
    # overdrafts (defaults: teller 1,000, supervisor 25,000)
    assert teller.overdraft_check(TELLER, "USD", 500_00) is None
    assert "credit decision for a supervisor" in teller.overdraft_check(TELLER, "usd", 20_000_00)
    with pytest.raises(AboveEveryApprovalLimit, match="QENEX_OVERDRAFT_LIMITS"):
        teller.overdraft_check(TELLER, "USD", 30_000_00)
