"""A payment order's fee follows its payment: held with a payment that waits (four eyes, fraud review),
charged only when it goes out, never charged (or credited back) when it does not: rejected, withdrawn,
expired, refused by the fraud review, cancelled before it was sent, returned by the rail."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied
from core.payments import rail_files
from core.payments.beneficiary import Beneficiary
from core.payments.errors import InvalidState
from core.payments.fees import FeeSchedule
from core.payments.orders import OrderRequest, PaymentOrders
from core.persistence.models import AuditEntry
from tests.approvals.conftest import ANALYST, SUPERVISOR, TELLER

START = 20_000_00
FEE = 25  # ach:USD=0.25


@pytest.fixture
def rail(desk):
    ledger, approvals, _t, (a, _b) = desk
    orders = PaymentOrders(ledger.engine, ledger, audit=ledger.audit, clock=ledger.clock,
                           fees=FeeSchedule.parse("ach:USD=0.25"))
    return ledger, approvals, orders, a


def _ach(orders: PaymentOrders, account: str, amount: int, id: str):  # noqa: A002, ANN202
    ben = Beneficiary("ach", "Max Muster", None, None, "011000015", "123456789", "Invoice 42")
    return orders.create(TELLER, OrderRequest(id=id, account=account, beneficiary=ben, amount=amount, currency="USD"))


def _balance(ledger, account):  # noqa: ANN001, ANN202
    b = ledger.balance(SUPERVISOR, account)
    return b.current, b.available


def test_a_waiting_order_holds_its_fee_and_approval_charges_it(rail):
    ledger, approvals, orders, a = rail
    order = _ach(orders, a, 2_000_00, "o-ok")
    assert order.fee == FEE and order.fee_status == "reserved"
    assert _balance(ledger, a) == (START, START - 2_000_00 - FEE)  # reserved, nothing charged yet
    [req] = approvals.list(SUPERVISOR)
    approvals.approve(SUPERVISOR, req.id)
    shown = orders.show(SUPERVISOR, "o-ok")
    assert (shown.status, shown.funds, shown.fee_status) == ("created", "posted", "charged")
    assert _balance(ledger, a) == (START - 2_000_00 - FEE,) * 2


def test_a_rejected_order_is_canceled_and_its_fee_never_charged(rail, engine):
    ledger, approvals, orders, a = rail
    _ach(orders, a, 2_000_00, "o-no")
    [req] = approvals.list(SUPERVISOR)
    approvals.reject(SUPERVISOR, req.id, "customer unreachable")
    shown = orders.show(SUPERVISOR, "o-no")
    assert shown.status == "canceled" and shown.fee_status == "not charged"
    assert "approval was refused" in shown.return_reason
    assert _balance(ledger, a) == (START, START)
    with engine.connect() as conn:
        actions = list(conn.execute(select(AuditEntry.action).where(AuditEntry.target == "o-no")).scalars())
    assert "order.cancel" in actions
    with pytest.raises(Exception, match="no ACH orders"):  # a canceled order is never exported
        rail_files.export(orders, SUPERVISOR, "ach", "/tmp/never.ach", rail_files.RailSettings())


def test_a_withdrawn_order_gives_the_fee_back(rail):
    ledger, approvals, orders, a = rail
    _ach(orders, a, 2_000_00, "o-wd")
    [req] = approvals.list(TELLER)
    approvals.withdraw(TELLER, req.id)
    shown = orders.show(SUPERVISOR, "o-wd")
    assert shown.status == "canceled" and shown.funds == "released: its maker withdrew the approval request"
    assert _balance(ledger, a) == (START, START)


def test_an_expired_approval_releases_the_fee_with_the_payment(rail, clock):
    ledger, approvals, orders, a = rail
    _ach(orders, a, 2_000_00, "o-exp")
    clock.advance(hours=3)
    assert _balance(ledger, a) == (START, START)  # both holds lapse at once, before anyone touches them
    assert approvals.expire(SUPERVISOR) == 1
    shown = orders.show(SUPERVISOR, "o-exp")
    assert shown.status == "canceled" and "expired" in shown.return_reason and shown.fee_status == "not charged"
    assert _balance(ledger, a) == (START, START)


def test_the_upkeep_expiry_of_held_funds_releases_the_fee_too(rail, clock):
    ledger, _approvals, orders, a = rail
    _ach(orders, a, 2_000_00, "o-up")
    clock.advance(hours=3)
    from core.security.roles import SYSTEM_ACTOR

    ledger.expire_pending(SYSTEM_ACTOR)
    assert orders.show(SUPERVISOR, "o-up").status == "canceled"
    assert _balance(ledger, a) == (START, START)


def test_cancelling_an_unsent_order_returns_the_money_and_the_fee(rail):
    ledger, _approvals, orders, a = rail
    _ach(orders, a, 500_00, "o-small")  # below the teller's limit: posted at once, fee charged
    assert _balance(ledger, a)[0] == START - 500_00 - FEE
    with pytest.raises(PermissionDenied, match="supervisor"):
        orders.cancel(TELLER, "o-small", "customer called it off")
    with pytest.raises(Exception, match="needs a reason"):
        orders.cancel(SUPERVISOR, "o-small", " ")
    shown = orders.cancel(SUPERVISOR, "o-small", "customer called it off")
    assert shown.status == "canceled" and shown.fee_status == "credited back" and "returned" in shown.funds
    assert _balance(ledger, a) == (START, START)
    assert orders.cancel(SUPERVISOR, "o-small", "again").status == "canceled"  # a retry moves nothing more
    assert _balance(ledger, a) == (START, START)


def test_cancelling_a_waiting_order_voids_payment_and_fee_and_closes_the_request(rail):
    ledger, approvals, orders, a = rail
    _ach(orders, a, 2_000_00, "o-wait")
    shown = orders.cancel(SUPERVISOR, "o-wait", "duplicate")
    assert shown.status == "canceled" and shown.return_reason == "canceled: duplicate"
    assert approvals.list(SUPERVISOR) == [] and _balance(ledger, a) == (START, START)


def test_a_sent_order_is_not_cancelled_but_returned_with_its_fee(rail, tmp_path):
    ledger, _approvals, orders, a = rail
    _ach(orders, a, 500_00, "o-sent")
    rail_files.export(orders, SUPERVISOR, "ach", tmp_path / "a.ach", rail_files.RailSettings(), date(2026, 3, 2))
    with pytest.raises(InvalidState, match="return"):
        orders.cancel(SUPERVISOR, "o-sent", "too late")
    returned = orders.return_order(SUPERVISOR, "o-sent", "R03")
    assert returned.status == "returned" and returned.fee_status == "credited back"
    assert _balance(ledger, a) == (START, START)


def test_an_order_refused_by_the_fraud_review_never_pays_its_fee(rail, engine):
    from core.cases.dispositions import Decision
    from core.cases.service import FraudDesk
    from core.fraud.config import FraudConfig
    from core.fraud.screen import FraudScreen
    from core.persistence.models import FraudAlert

    ledger, _approvals, orders, a = rail
    ledger.screen = FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 10_000},
                                                           amount_limit_action="review"))
    held = _ach(orders, a, 800_00, "o-fraud")
    assert held.funds == "held for fraud review" and held.fee_status == "reserved"
    al = FraudAlert.__table__
    with engine.connect() as conn:
        alert_id = conn.execute(select(al.c.id).where(al.c.transfer_id == held.id)).scalar_one()
    FraudDesk(ledger).dispose(ANALYST, alert_id, Decision("confirmed", "customer did not send it"))
    shown = orders.show(SUPERVISOR, "o-fraud")
    assert shown.status == "canceled" and shown.fee_status == "not charged"
    assert _balance(ledger, a) == (START, START)


def test_an_approved_order_held_for_fraud_review_keeps_payment_and_fee_held_past_the_old_timeout(rail, engine, clock):
    """QA4 #2: the approval lifts the payment's timeout (an open alert holds it) and the fee follows it; the
    analyst's release charges both."""
    from core.cases.dispositions import Decision
    from core.cases.service import FraudDesk
    from core.fraud.config import FraudConfig
    from core.fraud.screen import FraudScreen
    from core.persistence.models import FraudAlert
    from core.security.roles import SYSTEM_ACTOR

    ledger, approvals, orders, a = rail
    ledger.screen = FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 10_000},
                                                           amount_limit_action="review"))
    held = _ach(orders, a, 2_000_00, "o-both")  # above the teller's limit and held for review
    [req] = approvals.list(SUPERVISOR)
    assert "still held for fraud review" in approvals.approve(SUPERVISOR, req.id).result
    clock.advance(hours=5)  # past the request's 2 hours
    assert ledger.expire_pending(SYSTEM_ACTOR) == 0
    assert _balance(ledger, a) == (START, START - 2_000_00 - FEE)
    al = FraudAlert.__table__
    with engine.connect() as conn:
        alert_id = conn.execute(select(al.c.id).where(al.c.transfer_id == held.id)).scalar_one()
    FraudDesk(ledger, clock=clock).dispose(ANALYST, alert_id, Decision("false-positive"))
    assert orders.show(SUPERVISOR, "o-both").fee_status == "charged"
    assert _balance(ledger, a) == (START - 2_000_00 - FEE,) * 2


def test_a_fee_posted_before_fees_were_held_is_credited_back(rail):
    """An order made before this rule (its fee posted while the payment waited) gets the fee back."""
    from core.ledger.views import TransferRequest

    ledger, approvals, orders, a = rail
    orders.fees = FeeSchedule()  # no fee with the order: post one by hand, as the old code did
    _ach(orders, a, 2_000_00, "o-old")
    fees_gl = ledger.ensure_gl_accounts(SUPERVISOR, "USD")["fees"].number
    orders.owned.transfer(SUPERVISOR, TransferRequest(id="o-old:fee", debit=a, credit=fees_gl, amount=FEE,
                                                      currency="USD", code="fee"), operation="fee")
    [req] = approvals.list(SUPERVISOR)
    approvals.reject(SUPERVISOR, req.id, "not this one")
    assert orders.show(SUPERVISOR, "o-old").fee_status == "credited back"
    assert _balance(ledger, a) == (START, START)


def test_a_failed_submit_leaves_the_orders_created_with_their_fees(rail, tmp_path, monkeypatch):
    """The file cannot be put in place: nothing was sent, so no order stays submitted (the next export
    carries them; the money and fee stay with the order, to go out or come back)."""
    import os

    ledger, _approvals, orders, a = rail
    _ach(orders, a, 500_00, "o-fail")
    out = tmp_path / "out"
    out.mkdir()

    def broken(*_args):  # noqa: ANN002, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(Exception, match="no order was submitted"):
        rail_files.export(orders, SUPERVISOR, "ach", out / "a.ach", rail_files.RailSettings())
    monkeypatch.undo()
    shown = orders.show(SUPERVISOR, "o-fail")
    assert (shown.status, shown.batch_id, shown.fee_status) == ("created", None, "charged")
    assert list(out.iterdir()) == []  # neither the file nor its temporary copy
    assert rail_files.export(orders, SUPERVISOR, "ach", out / "a.ach", rail_files.RailSettings()).orders == 1


def test_the_preview_says_an_order_will_wait_for_approval(rail):
    """QA #7: the confirmation knows before posting that the order goes to a supervisor."""
    ledger, approvals, orders, a = rail
    ben = Beneficiary("ach", "Max Muster", None, None, "011000015", "123456789", "Invoice 42")
    big = orders.preview(TELLER, OrderRequest(id="p1", account=a, beneficiary=ben, amount=2_000_00, currency="USD"))
    small = orders.preview(TELLER, OrderRequest(id="p2", account=a, beneficiary=ben, amount=500_00, currency="USD"))
    assert big.approval == "above the teller limit of $1,000.00" and small.approval is None


def test_the_order_preview_says_refused_when_no_checker_could_approve_it(rail):
    """The outgoing payment's review said "sent for approval" for an amount above every checker's limit, which
    the order then refused; the preview refuses it now, with what to do (ask for less, or raise the limit)."""
    from core.approvals.errors import AboveEveryApprovalLimit

    ledger, approvals, orders, a = rail  # supervisor limit 5,000.00
    ben = Beneficiary("ach", "Max Muster", None, None, "011000015", "123456789", "Invoice 42")
    preview = orders.preview(TELLER, OrderRequest(id="p1", account=a, beneficiary=ben, amount=2_000_00,
                                                  currency="USD"))
    assert preview.approval == "above the teller limit of $1,000.00"
    with pytest.raises(AboveEveryApprovalLimit, match="ask for \\$5,000.00 or less"):
        orders.preview(TELLER, OrderRequest(id="p2", account=a, beneficiary=ben, amount=7_000_00, currency="USD"))
    with pytest.raises(AboveEveryApprovalLimit):
        _ach(orders, a, 7_000_00, "o-big")
