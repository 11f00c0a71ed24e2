"""Four eyes in core: what waits, the funds held meanwhile, maker is never checker, approve posts, reject
voids with a reason, expiry releases, bulk decisions give a result per item, everything audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.approvals import (
    AboveApprovalLimit, ApprovalExpired, ApprovalNotPending, ApprovalRequired, CheckerRequired, InvalidApproval, OwnRequest,
)
from core.errors import PermissionDenied
from core.ledger.views import TransferRequest
from core.persistence.models import AuditEntry
from core.security.roles import SYSTEM_ACTOR
from tests.approvals.conftest import ANALYST, SUPERVISOR, SUPERVISOR_2, TELLER


def _big(a: str, b: str, amount: int = 1_500_00, id: str = "big-1") -> TransferRequest:
    return TransferRequest(id=id, debit=a, credit=b, amount=amount, currency="USD", description="car")


def _actions(engine) -> list[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_below_the_limit_posts_at_once(desk):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b, 1_000_00))
    assert result.state == "posted" and result.approval is None
    assert approvals.list(SUPERVISOR) == []


def test_above_the_limit_waits_with_the_funds_held_and_the_checker_posts_it(desk, engine):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    assert result.state == "pending" and result.approval is not None
    assert result.to_dict()["approval"] == {"id": result.approval, "state": "waiting for approval"}
    balance = ledger.balance(TELLER, a)
    assert (balance.current, balance.available) == (20_000_00, 18_500_00)  # held, not posted
    assert ledger.balance(TELLER, b).current == 0
    [req] = approvals.list(SUPERVISOR)
    assert (req.kind, req.maker, req.state, req.amount, req.limit_amount) == ("transfer", "tina", "pending",
                                                                              1_500_00, 1_000_00)
    assert approvals.list(TELLER)[0].id == req.id  # the maker sees it waiting
    done = approvals.approve(SUPERVISOR, req.id, "checked with the customer")
    assert (done.state, done.checker, done.result) == ("approved", "sam", f"posted as {result.id}:post")
    assert ledger.balance(TELLER, b).current == 1_500_00
    assert ledger.balance(TELLER, a).available == 18_500_00
    assert {"approval.request", "approval.approve", "transfer.post_pending"} <= set(_actions(engine))
    with pytest.raises(ApprovalNotPending):
        approvals.approve(SUPERVISOR_2, req.id)


def test_the_maker_never_decides_their_own_and_the_system_is_no_checker(desk, engine):
    ledger, approvals, _t, (a, b) = desk
    done = ledger.transfer(SYSTEM_ACTOR, _big(a, b, 3_000_00, id="to-undo"))
    own = ledger.correct(SUPERVISOR, done.id)  # a correction always asks a second person
    assert own.approval is not None
    with pytest.raises(OwnRequest):
        approvals.approve(SUPERVISOR, own.approval)
    with pytest.raises(OwnRequest):
        approvals.reject(SUPERVISOR, own.approval, "changed my mind")
    with pytest.raises(PermissionDenied):
        approvals.approve(TELLER, own.approval)
    with pytest.raises(CheckerRequired):
        approvals.approve(SYSTEM_ACTOR, own.approval)
    assert "approval.refused" in _actions(engine)
    with pytest.raises(ApprovalRequired):  # nor past the inbox through the ledger's pending-transfer post
        ledger.post_pending(SUPERVISOR, own.id)
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 2_000_00)  # lowered while it waits
    with pytest.raises(AboveApprovalLimit):  # QA4 #1: above every supervisor's limit: nobody approves it yet
        approvals.approve(SUPERVISOR_2, own.approval)
    approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 6_000_00)
    assert approvals.approve(SUPERVISOR_2, own.approval).state == "approved"


def test_reject_voids_with_a_reason_and_releases_the_funds(desk):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    for reason in ("  ", "x", "duplicate"):  # QA #26: one rule for a decision's reason (core.reasons)
        with pytest.raises(InvalidApproval, match="at least 10 characters and 2 words"):
            approvals.reject(SUPERVISOR, result.approval, reason)
    done = approvals.reject(SUPERVISOR, result.approval, "customer not present")
    assert (done.state, done.decision_note, done.result) == ("rejected", "customer not present", "held funds released")
    assert ledger.balance(TELLER, a).available == 20_000_00
    assert ledger.transfer_row(TELLER, result.id)["state"] == "voided"


def test_requests_expire_and_release_the_funds(desk, clock):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    clock.advance(hours=2, seconds=1)
    assert ledger.balance(TELLER, a).available == 20_000_00  # the held transfer's timeout passed
    assert approvals.list(SUPERVISOR) == [] and approvals.list(SUPERVISOR, "decided")[0].state == "expired"
    with pytest.raises(ApprovalExpired):
        approvals.approve(SUPERVISOR, result.approval)
    assert approvals.get(SUPERVISOR, result.approval).result == "held funds released at expiry"
    assert ledger.transfer_row(TELLER, result.id)["state"] == "expired"
    assert ledger.balance(TELLER, b).current == 0


def test_expire_sweeps_due_requests(desk, clock):
    ledger, approvals, _t, (a, b) = desk
    ledger.transfer(TELLER, _big(a, b, id="e1"))
    ledger.transfer(TELLER, _big(a, b, id="e2"))
    clock.advance(hours=3)
    assert approvals.expire(SYSTEM_ACTOR) == 2 and approvals.expire(SYSTEM_ACTOR) == 0
    assert {r.state for r in approvals.list(SUPERVISOR, "all")} == {"expired"}


def test_bulk_approve_and_reject_give_a_result_per_item(desk):
    ledger, approvals, _t, (a, b) = desk
    ids = [ledger.transfer(TELLER, _big(a, b, id=f"bulk-{i}")).approval for i in range(3)]
    own = ledger.correct(SUPERVISOR, ledger.transfer(SYSTEM_ACTOR, _big(a, b, 1_000_00, id="to-undo")).id).approval
    results = approvals.approve_many(SUPERVISOR, [ids[0], own, ids[1], 999_999, ids[0]])
    assert [getattr(r, "state", None) or r.code for r in results] == ["approved", "own_request", "approved",
                                                                     "approval_not_found"]
    results = approvals.reject_many(SUPERVISOR, [ids[2], ids[0]], "a duplicate request")
    assert [getattr(r, "state", None) or r.code for r in results] == ["rejected", "approval_not_pending"]
    assert ledger.balance(TELLER, b).current == 3_000_00 + 1_000_00  # and the transfer the correction would undo


def test_gl_movements_corrections_freezes_and_closures_wait(desk, engine):
    ledger, approvals, teller, (a, b) = desk
    gl = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")
    moved = ledger.transfer(SUPERVISOR, TransferRequest("gl-1", gl["teller_cash"].number, gl["fees"].number, 5_00, "USD",
                                                       description="fee booked to the wrong account"))
    assert moved.state == "pending" and approvals.get(SUPERVISOR_2, moved.approval).kind == "gl"
    cash = ledger.deposit(TELLER, a, 50_000_00, "USD")  # a desk deposit is not a manual GL movement
    assert cash.state == "posted" and cash.approval is None
    posted = ledger.transfer(SYSTEM_ACTOR, _big(a, b, 100_00, id="fixme"))
    fix = ledger.correct(SUPERVISOR, posted.id)
    assert fix.state == "pending" and approvals.get(SUPERVISOR_2, fix.approval).kind == "correction"
    approvals.reject(SUPERVISOR_2, fix.approval, "not an error")
    again = ledger.correct(SUPERVISOR, posted.id, id="fixme:correction-2")  # the rejected one corrected nothing
    approvals.approve(SUPERVISOR_2, again.approval)
    assert ledger.balance(TELLER, b).current == 0

    with pytest.raises(ApprovalRequired):
        ledger.set_status(SUPERVISOR, b, "frozen")
    freeze = approvals.request_status(TELLER, b, "frozen", "card stolen")
    assert approvals.request_status(TELLER, b, "frozen").id == freeze.id  # the same request, not a second
    assert approvals.approve(SUPERVISOR, freeze.id).result == "account frozen"
    assert ledger.accounts(TELLER, search=b)[0].status == "frozen"
    with pytest.raises(InvalidApproval):
        approvals.request_status(TELLER, b, "frozen")
    close = approvals.request_status(SUPERVISOR, b, "closed")
    with pytest.raises(OwnRequest):
        approvals.approve(SUPERVISOR, close.id)
    approvals.approve(SUPERVISOR_2, close.id)
    assert ledger.accounts(TELLER, search=b)[0].status == "closed"
    with pytest.raises(PermissionDenied):
        approvals.request_status(ANALYST, a, "frozen")


def test_hold_releases_wait_for_a_supervisor(desk, clock):
    ledger, approvals, teller, (a, _b) = desk
    hold = teller.place_hold(TELLER, a, 300_00, "fraud", clock() + timedelta(days=3))
    with pytest.raises(ApprovalRequired):
        teller.release_hold(SUPERVISOR, hold.id, "cheque has cleared")
    with pytest.raises(ApprovalRequired):
        ledger.void_pending(SUPERVISOR, hold.transfer_id)
    for note in ("", "   ", "ok"):  # QA #21: the checker is told why
        with pytest.raises(InvalidApproval, match="the reason for releasing the hold"):
            approvals.request_hold_release(TELLER, hold.id, note)
    assert approvals.list(SUPERVISOR) == []
    req = approvals.request_hold_release(TELLER, hold.id, "cheque cleared")
    assert req.kind == "hold_release" and req.hold_id == hold.id
    released = approvals.approve(SUPERVISOR, req.id)
    assert released.result == f"hold {hold.id} released"
    after = teller.holds(TELLER, a, include_ended=True)[0]
    assert (after.state, after.released_by) == ("released", "sam")
    assert ledger.balance(TELLER, a).available == 20_000_00


def test_the_checker_sees_the_request_the_activity_and_the_fraud_score(desk):
    ledger, approvals, _t, (a, b) = desk
    ledger.transfer(TELLER, _big(a, b, 200_00, id="small"))
    result = ledger.transfer(TELLER, _big(a, b))
    detail = approvals.detail(SUPERVISOR, result.approval)
    assert detail.request.score is not None and detail.decision in ("approve", "review")
    assert detail.account.number == a and detail.account.available == 18_300_00
    assert [ln.transfer_id for ln in detail.activity][:1] == ["small"]
    data = detail.to_dict()
    assert data["request"]["amount"] == "1500.00" and data["fraud"]["score"] == detail.request.score
    with pytest.raises(PermissionDenied):  # a maker sees only their own requests
        approvals.get(Actor("tom", TELLER.role), result.approval)


def test_voiding_the_held_transfer_withdraws_the_request(desk):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    ledger.void_pending(TELLER, result.id)
    req = approvals.get(SUPERVISOR, result.approval)
    assert (req.state, req.checker, req.result) == ("withdrawn", "tina", "the held transfer was voided by its maker")
    assert req.state_word == "withdrawn" and [r.id for r in approvals.list(SUPERVISOR, "withdrawn")] == [req.id]


def test_the_held_transfer_voided_by_someone_else_rejects_the_request(desk, engine):
    """Only the maker withdraws: a supervisor (or a fraud decision) voiding the held transfer refuses the request,
    and its state says so without reading its words."""
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    ledger.void_pending(SUPERVISOR, result.id)
    req = approvals.get(SUPERVISOR, result.approval)
    assert (req.state, req.checker, req.result) == ("rejected", "sam", "the held transfer was voided by sam")
    assert approvals.list(SUPERVISOR, "withdrawn") == [] and _actions(engine)[-1] != "approval.withdraw"


def test_limits_per_role_and_currency(desk):
    ledger, approvals, _t, (a, b) = desk
    approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 2_000_00)
    assert ledger.transfer(TELLER, _big(a, b, 1_500_00, id="now-ok")).state == "posted"
    rows = {(r["role"], r["currency"]): r for r in approvals.limits(SUPERVISOR)}
    assert rows[("teller", "USD")]["limit"] == "2000.00" and rows[("supervisor", "USD")]["source"] == "default"
    with pytest.raises(PermissionDenied):
        approvals.set_limit(SUPERVISOR, "teller", "USD", 1)
    with pytest.raises(InvalidApproval):
        approvals.set_limit(SYSTEM_ACTOR, "analyst", "USD", 1)


from core.security.roles import Actor  # noqa: E402


def test_an_outgoing_payment_order_above_the_limit_waits_and_its_file_waits_too(desk, tmp_path):
    from core.payments.beneficiary import Beneficiary
    from core.payments.orders import OrderRequest, PaymentOrders, count_waiting

    ledger, approvals, _t, (a, _b) = desk
    from core.payments.fees import FeeSchedule

    orders = PaymentOrders(ledger.engine, ledger, audit=ledger.audit, clock=ledger.clock,
                           fees=FeeSchedule.parse("ach:USD=0.25"))
    ben = Beneficiary("ach", "Max Muster", None, None, "011000015", "123456789", "Invoice 42")
    order = orders.create(TELLER, OrderRequest(id="o-1", account=a, beneficiary=ben, amount=2_000_00, currency="USD"))
    assert order.funds.startswith("waiting for approval") and count_waiting(ledger.engine, "ach") == 0
    [req] = approvals.list(SUPERVISOR)
    # reserved, not sent: the payment and its fee (charged only when the payment goes out)
    assert req.transfer_id == "o-1" and ledger.balance(TELLER, a).pending_debits == 2_000_00 + 25
    approvals.approve(SUPERVISOR, req.id)
    assert orders.show(SUPERVISOR, "o-1").funds == "posted" and count_waiting(ledger.engine, "ach") == 1


def test_the_demo_inbox_has_requests_waiting(desk):
    from core.approvals.demo import seed_approvals

    ledger, approvals, teller, (a, b) = desk
    for name in ("Carol", "Dan"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        ledger.deposit(SYSTEM_ACTOR, ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number, 500_00, "USD")
    assert seed_approvals(approvals, teller) == 3
    assert [r.kind for r in approvals.list(SUPERVISOR)] == ["transfer", "freeze", "hold_release"]


def test_two_checkers_at_once_decide_once(desk):
    import threading

    ledger, approvals, _t, (a, b) = desk
    request_id = ledger.transfer(TELLER, _big(a, b)).approval
    results: list = []
    barrier = threading.Barrier(2)

    def decide(actor, verb) -> None:  # noqa: ANN001
        barrier.wait()
        try:
            results.append(approvals.approve(actor, request_id) if verb == "approve"
                           else approvals.reject(actor, request_id, "a duplicate request"))
        except Exception as err:  # noqa: BLE001
            results.append(err)

    threads = [threading.Thread(target=decide, args=(SUPERVISOR, "approve")),
               threading.Thread(target=decide, args=(SUPERVISOR_2, "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 1 and isinstance(next(r for r in results if isinstance(r, Exception)), ApprovalNotPending)
    moved = ledger.balance(TELLER, b).current
    assert (done[0].state, moved) in (("approved", 1_500_00), ("rejected", 0))
    assert ledger.balance(TELLER, a).available == 20_000_00 - moved


def test_the_maker_withdraws_their_own_waiting_request(desk):
    ledger, approvals, _t, (a, b) = desk
    result = ledger.transfer(TELLER, _big(a, b))
    with pytest.raises(InvalidApproval):
        approvals.withdraw(SUPERVISOR, result.approval)
    done = approvals.withdraw(TELLER, result.approval, "typed the wrong amount")
    assert (done.state, done.checker, done.result) == ("withdrawn", "tina", "held funds released")  # its own state
    assert (done.state_word, done.decision_note, done.to_dict()["state"]) == ("withdrawn", "typed the wrong amount",
                                                                              "withdrawn")
    assert [r.id for r in approvals.list(TELLER, "withdrawn")] == [done.id] and approvals.list(TELLER, "rejected") == []
    assert ledger.balance(TELLER, a).available == 20_000_00
    with pytest.raises(ApprovalNotPending):
        approvals.withdraw(TELLER, result.approval)


def test_closing_expired_requests_is_a_checkers_job_in_core(desk):
    """The inbox closes expired requests only for a checker; core refuses a maker or an analyst too."""
    ledger, approvals, _t, (a, b) = desk
    for actor in (TELLER, ANALYST):
        with pytest.raises(PermissionDenied, match="supervisor role may"):
            approvals.expire(actor)
    assert approvals.expire(SUPERVISOR) == 0 and approvals.expire(SYSTEM_ACTOR) == 0


def test_approving_a_transfer_held_for_fraud_review_leaves_the_alert_to_an_analyst(desk, clock):
    """QA3 #3: four eyes does not settle the fraud question: the approval keeps the money held and the alert
    open; the analyst's decision posts it (false positive) or releases it (confirmed)."""
    from core.cases import intake
    from core.cases.dispositions import Decision
    from core.cases.service import FraudDesk

    ledger, approvals, _t, (a, b) = desk
    cases = FraudDesk(ledger, clock=clock)
    results = {}
    for n, outcome in ((1, "false-positive"), (2, "confirmed")):
        held = ledger.transfer(TELLER, _big(a, b, 1_200_00, f"held-{n}"))
        alert = ledger.run(lambda conn, t=held.id: intake.raise_manual(conn, "anna", t, "looks odd", clock()))
        [req] = approvals.list(SUPERVISOR)
        detail = approvals.detail(SUPERVISOR, req.id)
        assert detail.open_alert == alert and detail.to_dict()["fraud"]["open_alert"] == alert
        assert approvals.detail(TELLER, req.id).open_alert is None  # not shown to the maker (tipping off)
        done = approvals.approve(SUPERVISOR, req.id, "customer confirmed by phone")
        assert done.state == "approved" and f"still held for fraud review (alert #{alert})" in done.result
        assert ledger.balance(TELLER, b).current == results.get("posted", 0)  # nothing posted by the approval
        assert cases.alert(ANALYST, alert).status != "closed"
        cases.claim(ANALYST, alert)
        cases.dispose(ANALYST, alert, Decision(outcome, note="called the customer, all fine" if n == 1
                                               else "mule account, customer deceived"))
        if n == 1:
            results["posted"] = 1_200_00
        assert ledger.balance(TELLER, b).current == results["posted"]
    assert ledger.balance(TELLER, a).available == 20_000_00 - 1_200_00


def test_a_tellers_transfer_preview_leaves_the_fraud_score_and_reasons_out(desk):
    """QA3 #5: the Transfer dialog's preview, as the approvals list: the score only with alert.view."""
    _ledger, _approvals, teller, (a, b) = desk
    req = _big(a, b, 50_00, "p-1")
    mine, theirs = teller.preview(TELLER, req), teller.preview(SUPERVISOR, req)
    assert mine.decision == theirs.decision != "none"
    assert (mine.score, mine.reasons) == (None, ()) and mine.to_dict()["score"] is None
    assert theirs.score is not None
    done = _ledger.transfer(TELLER, _big(a, b, 50_00, "p-1"))  # the result too: the decision alone
    assert done.fraud.decision == mine.decision and done.to_dict()["fraud"] == {
        "decision": mine.decision, "score": None, "reasons": []}


def test_an_approved_transfer_held_for_fraud_review_outlives_its_timeout_until_the_analyst_decides(desk, clock):
    """QA4 #2: approving a transfer an open alert holds lifts its timeout: no sweep releases it or closes the
    alert "hold expired"; the analyst's decision ends the hold."""
    from core.cases import intake
    from core.cases.dispositions import Decision
    from core.cases.service import FraudDesk

    ledger, approvals, _t, (a, b) = desk
    cases = FraudDesk(ledger, clock=clock)
    held = ledger.transfer(TELLER, _big(a, b, 1_200_00, "held-long"))
    alert = ledger.run(lambda conn: intake.raise_manual(conn, "anna", held.id, "looks odd", clock()))
    assert ledger.transfer_row(TELLER, held.id)["expires_at"] is not None  # still the request's expiry
    approvals.approve(SUPERVISOR, held.approval, "customer confirmed by phone")
    assert ledger.transfer_row(TELLER, held.id)["expires_at"] is None
    clock.advance(hours=30)  # past the request's 2 hours (the old timeout)
    assert ledger.expire_pending(SYSTEM_ACTOR) == 0 and approvals.expire(SYSTEM_ACTOR) == 0
    assert ledger.balance(TELLER, a).available == 20_000_00 - 1_200_00  # still held
    assert ledger.transfer_row(TELLER, held.id)["state"] == "pending"
    assert cases.alert(ANALYST, alert).status == "open"
    cases.claim(ANALYST, alert)
    cases.dispose(ANALYST, alert, Decision("false-positive", note="called the customer, all fine"))
    assert ledger.balance(TELLER, b).current == 1_200_00


def test_a_waiting_request_held_for_fraud_review_still_expires_unapproved(desk, clock):
    """QA4 #2: nobody approved in time: the request's expiry ends it (the payment is not sent), as before."""
    from core.cases import intake

    ledger, approvals, _t, (a, b) = desk
    held = ledger.transfer(TELLER, _big(a, b, 1_200_00, "held-unapproved"))
    alert = ledger.run(lambda conn: intake.raise_manual(conn, "anna", held.id, "looks odd", clock()))
    clock.advance(hours=3)
    assert approvals.expire(SYSTEM_ACTOR) == 1
    assert ledger.balance(TELLER, a).available == 20_000_00 and ledger.balance(TELLER, b).current == 0
    from core.cases.service import FraudDesk

    closed = FraudDesk(ledger, clock=clock).alert(ANALYST, alert)
    assert (closed.status, closed.resolution) == ("closed", "hold_expired")


def test_the_alert_detail_reads_a_withdrawal_from_its_state(desk):
    """The fraud analyst's view of a held transfer says who ended its four-eyes request, from the state alone."""
    from core.cases.detail import _four_eyes

    ledger, approvals, _t, (a, b) = desk
    mine = ledger.transfer(TELLER, _big(a, b, id="mine"))
    approvals.withdraw(TELLER, mine.approval, "typed the wrong amount")
    theirs = ledger.transfer(TELLER, _big(a, b, id="theirs"))
    ledger.void_pending(SUPERVISOR, theirs.id)
    with ledger.engine.connect() as conn:
        assert _four_eyes(conn, "mine") == f"four-eyes request #{mine.approval} withdrawn by its maker"
        assert _four_eyes(conn, "theirs") == f"four-eyes request #{theirs.approval} rejected by sam"
