"""Four eyes through the widgets: a teller's transfer above the limit waits (funds reserved), a supervisor
approves it from the approvals inbox with the keyboard, the teller's page follows live; reject needs a
reason; several requests decided together give a result each; a supervisor never decides their own."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from PySide6.QtCore import Qt

from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from tests.ui.test_teller import _page, _select
from ui.approvals.page import ApprovalsPage

SAM = Actor("sam", Role.SUPERVISOR, device="desk-2")
SUE = Actor("sue", Role.SUPERVISOR, device="desk-3")


def _inbox(qtbot, services, actor, rows):  # noqa: ANN001, ANN202
    page = ApprovalsPage(services, actor)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == rows)
    return page


def test_maker_then_checker(qtbot, services, bank, teller, ui_thread_sql):
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 100_00)
    ui_thread_sql.clear()  # the test's own set-up above; from here on only the widgets act
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "400")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    assert "sent for approval (above the teller limit of $100.00)" in form.dialog.outcome.text()
    assert form.dialog.confirm_button.text() == "&Send for approval"  # not "Confirm and post" (QA #7)
    after = form.dialog.text("Balance after")  # QA6 #2: the current balance moves once approved, not "stays"
    assert "$600.00 available (reserved now)" in after and "$600.00 current once approved" in after, after
    with qtbot.waitSignal(form.posted):
        qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)
    assert form.status.text().startswith("Waiting for approval: $400.00") and "not posted" in form.status.text()
    form.receipt_button.click()  # the receipt's link is added under the result, never instead of it (QA #8)
    qtbot.waitUntil(lambda: "Receipt saved" in form.status.text())
    assert form.status.text().startswith("Waiting for approval: $400.00")
    qtbot.waitUntil(lambda: page.customer_panel.available_label.text() == "$600.00")
    assert page.current_label.text() == "$1,000.00"  # reserved, not posted

    mine = _inbox(qtbot, services, teller, 1)  # the maker sees it waiting, and cannot decide
    assert not mine.approve_button.isVisible() and mine.model.row_object(0).state == "pending"
    # QA #28: a teller is not shown the fraud screen's view of it, in core's data as on the page
    titles = [mine.model.headerData(i, Qt.Orientation.Horizontal) for i in range(mine.model.columnCount())]
    assert "Score" not in titles and mine.model.row_object(0).score is None
    # QA #27: every column has a header and says something: the state, then the time before it expires
    cells = [mine.model.data(mine.model.index(0, i)) for i in range(mine.model.columnCount())]
    assert titles[-2:] == ["Status", "Time left"] and cells[-2] == "waiting" and cells[-1].startswith(("23 h", "24 h"))
    with ThreadPoolExecutor(1) as pool:  # the test's own reads off the UI thread (ui_thread_sql)
        request_id = mine.model.row_object(0).id
        as_teller, as_sam = pool.submit(lambda: (services.approvals.detail(teller, request_id),
                                                 services.approvals.detail(SAM, request_id))).result()
    assert (as_teller.request.score, as_teller.reasons, as_teller.decision) == (None, (), None)
    assert as_sam.request.score is not None and as_sam.decision is not None
    mine.table.selectRow(0)
    qtbot.waitUntil(lambda: "Asked by tina" in mine.detail.meta.text())
    assert not mine.detail.fraud.isVisible()

    inbox = _inbox(qtbot, services, SAM, 1)
    inbox.table.setFocus()
    inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: "Fraud score" in inbox.detail.fraud.text() and inbox.detail.activity_model.rowCount() == 1)
    assert inbox.detail.amount.text() == "$400.00" and "Asked by tina" in inbox.detail.meta.text()
    assert "$600.00 available" in inbox.detail.account.text()
    qtbot.keyClick(inbox.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())
    assert inbox.dialog.text("Money that posts") == "$400.00"
    qtbot.keyClick(inbox.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "approved (posted as" in inbox.result_label.text())
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 0)
    qtbot.waitUntil(lambda: page.current_label.text() == "$600.00")  # the teller's page followed live
    qtbot.waitUntil(lambda: mine.model.rowCount() == 0)  # ... and so did the maker's inbox
    assert ui_thread_sql == []


def test_reject_needs_a_reason_and_bulk_gives_a_result_each(qtbot, services, bank, teller):
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    for i in range(2):
        services.ledger.transfer(teller, TransferRequest(f"r{i}", bank[0], bank[1], 50_00, "USD"))
    done = services.ledger.transfer(SYSTEM_ACTOR, TransferRequest("r2", bank[1], bank[0], 50_00, "USD"))
    services.ledger.correct(SAM, done.id)  # sam's own request (a correction always asks a second person)
    services.approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 10_00)  # lowered while they wait
    inbox = _inbox(qtbot, services, SAM, 3)
    inbox.table.selectRow(2)  # sam's own
    qtbot.waitUntil(lambda: "your own" in inbox.notice.text() and inbox.notice.isVisible())
    assert not inbox.approve_button.isEnabled()
    inbox.table.selectAll()
    assert inbox.approve_button.isEnabled() and "3 requests selected" in inbox.detail.title.text()
    qtbot.keyClick(inbox.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert inbox.note.hasFocus() and "reason" in inbox.result_label.text()
    qtbot.keyClicks(inbox.note, "x")  # QA #26: the same rule as a recommendation's reason (core.reasons)
    qtbot.keyClick(inbox.note, Qt.Key.Key_Return)
    assert "at least 10 characters and 2 words" in inbox.result_label.text() and inbox.dialog is None
    inbox.note.clear()
    qtbot.keyClicks(inbox.note, "customer called back")
    qtbot.keyClick(inbox.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())  # confirmed before rejecting
    assert inbox.dialog.text("Reason") == "customer called back" and inbox.model.rowCount() == 3
    qtbot.keyClick(inbox.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "2 done, 1 refused" in inbox.result_label.text())
    assert "is your own" in inbox.result_label.text()
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 1)
    assert services.ledger.balance(teller, bank[0]).available == 1_000_00  # the correction holds the 50.00 it moves back
    services.approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 100_00)  # QA4 #1: sue's limit covers it now
    other = _inbox(qtbot, services, SUE, 1)
    other.table.selectRow(0)
    other.approve_selected()
    qtbot.waitUntil(lambda: other.dialog is not None and other.dialog.isVisible())
    other.dialog.accept()
    qtbot.waitUntil(lambda: other.model.rowCount() == 0)
    assert services.ledger.balance(teller, bank[1]).current == 250_00  # r2 out, then its correction back in


def test_the_maker_withdraws_a_request_from_their_inbox(qtbot, services, bank, teller):
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.ledger.transfer(teller, TransferRequest("w1", bank[0], bank[1], 50_00, "USD"))
    mine = _inbox(qtbot, services, teller, 1)
    mine.table.selectRow(0)
    assert mine.withdraw_button.isVisible() and mine.withdraw_button.isEnabled()
    qtbot.keyClick(mine, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    # QA7 #4: it cannot be undone, so it asks first: Escape keeps the request, Enter withdraws it
    qtbot.waitUntil(lambda: mine.dialog is not None and mine.dialog.isVisible())
    assert "#" in mine.dialog.text("Requests") and mine.dialog.confirm_button.text() == "&Withdraw"
    qtbot.keyClick(mine.dialog, Qt.Key.Key_Escape)
    assert not mine.dialog.isVisible() and services.approvals.list(teller, "waiting")
    mine.withdraw_button.click()
    qtbot.waitUntil(lambda: mine.dialog.isVisible())
    qtbot.keyClick(mine.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "withdrawn (held funds released)" in mine.result_label.text())
    assert "rejected" not in mine.result_label.text()  # QA4 #12: the maker withdrew it; nobody rejected it
    qtbot.waitUntil(lambda: mine.model.rowCount() == 0)
    assert services.ledger.balance(teller, bank[0]).available == 1_000_00


def test_the_subtitle_and_last_column_follow_the_view(qtbot, services, bank, teller):
    """QA7 #3: the teller's "Decided, withdrawn or expired" view says so and shows when each was decided."""
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.ledger.transfer(teller, TransferRequest("v1", bank[0], bank[1], 50_00, "USD"))
    request = services.approvals.list(teller, "waiting")[0]
    services.approvals.withdraw_many(teller, [request.id], "")
    mine = _inbox(qtbot, services, teller, 0)
    assert "waiting" in mine.hint_label.text()
    mine.show_filter.setCurrentIndex(mine.show_filter.findData("decided"))
    qtbot.waitUntil(lambda: mine.model.rowCount() == 1)
    assert "waiting" not in mine.hint_label.text() and "withdrew" in mine.hint_label.text()
    last = mine.model.columnCount() - 1
    assert mine.model.headerData(last, Qt.Orientation.Horizontal) == "Decided"
    assert mine.model.index(0, last).data()[:4].isdigit()  # when it was withdrawn, not empty
    mine.show_filter.setCurrentIndex(mine.show_filter.findData("waiting"))
    qtbot.waitUntil(lambda: mine.model.rowCount() == 0)
    assert mine.model.headerData(mine.model.columnCount() - 1, Qt.Orientation.Horizontal) == "Time left"
    assert "waiting for a supervisor" in mine.hint_label.text()


def test_an_overdraft_request_is_shown_as_a_credit_decision(qtbot, services, bank, teller):
    """QA #20: the teller's $5,000,000.00 overdraft waits; the checker sees it whole and approves it (QA4 #1:
    above their own overdraft limit the notice says so and Approve is off until the limit covers it)."""
    customer = services.ledger.add_customer(SYSTEM_ACTOR, "Xavier Example")
    services.approvals.policy.overdrafts["supervisor"] = Decimal(5_000_000)
    acc = services.ledger.open_account(teller, customer.id, "USD", 5_000_000_00)
    services.approvals.policy.overdrafts["supervisor"] = Decimal(25_000)  # lowered while it waits
    inbox = _inbox(qtbot, services, SAM, 1)
    inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: "above your supervisor limit of $25,000.00" in inbox.notice.text())
    assert inbox.notice.isVisible() and not inbox.approve_button.isEnabled() and inbox.reject_button.isEnabled()
    inbox.close()
    services.approvals.policy.overdrafts["supervisor"] = Decimal(5_000_000)  # the operator raised it
    assert acc.overdraft_limit == 0 and acc.overdraft_request is not None
    inbox = _inbox(qtbot, services, SAM, 1)
    inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: "credit decision" in inbox.detail.fraud.text())
    assert inbox.model.row_object(0).kind_text == "Overdraft limit" and inbox.detail.amount.text() == "$5,000,000.00"
    qtbot.keyClick(inbox.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())
    assert "Money that posts" not in inbox.dialog.values  # nothing is paid out
    qtbot.keyClick(inbox.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "overdraft limit set to $5,000,000.00" in inbox.result_label.text())


def test_a_request_held_for_fraud_review_says_the_approval_keeps_it_held(qtbot, services, bank, teller):
    """QA3 #3: the checker sees the open alert; approving leaves the money held for the analyst."""
    from core.cases import intake

    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    before = services.ledger.balance(teller, bank[1]).current
    held = services.ledger.transfer(teller, TransferRequest("f1", bank[0], bank[1], 50_00, "USD"))
    alert = services.ledger.run(lambda conn: intake.raise_manual(conn, "anna", held.id, "looks odd",
                                                                 services.ledger.clock()))
    inbox = _inbox(qtbot, services, SAM, 1)
    inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: f"alert #{alert} is open" in inbox.detail.fraud.text())
    assert f"alert #{alert}" in inbox.approve_button.toolTip()
    qtbot.keyClick(inbox.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())
    assert "Money that posts" not in inbox.dialog.values and "Fraud review" in inbox.dialog.values
    qtbot.keyClick(inbox.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: f"still held for fraud review (alert #{alert})" in inbox.result_label.text())
    assert services.ledger.balance(teller, bank[1]).current == before  # nothing posted: the analyst decides
    # QA4 #9: the analyst's alert detail says the supervisor already approved it, and names both accounts
    from core.cases import detail as alert_detail

    facts = services.ledger.run(lambda conn: alert_detail.load(conn, alert, services.ledger.clock())).transfer
    assert facts.four_eyes.endswith("approved by sam") and facts.credit_name == "Grace Hopper USD"


def test_the_review_dialogs_say_the_fraud_team_reviews_without_a_score():
    """QA3 #5: without a score (a teller's preview) the row reads the decision alone."""
    from ui.teller.confirm import screen_words

    assert screen_words("review", None, ()) == "held for review by the fraud team"
    assert screen_words("review", 0.67, ("3 payments by this customer in 24 hours",)) == (
        "review (score 0.67): 3 payments by this customer in 24 hours")


def test_approving_several_names_each_request_held_for_fraud_review(qtbot, services, bank, teller):
    """With several requests chosen, the confirmation names those with an open fraud alert (not only a tooltip)
    and counts only the others' money as posting."""
    from core.cases import intake

    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    held = [services.ledger.transfer(teller, TransferRequest(f"m{i}", bank[0], bank[1], (i + 2) * 10_00, "USD"))
            for i in range(3)]
    alerts = [services.ledger.run(lambda conn, t=t: intake.raise_manual(conn, "anna", t.id, "looks odd",
                                                                        services.ledger.clock())) for t in held[:2]]
    inbox = _inbox(qtbot, services, SAM, 3)
    inbox.table.selectAll()
    qtbot.keyClick(inbox.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())
    review = inbox.dialog.text("Fraud review")
    assert all(f"(alert #{a})" in review for a in alerts) and "stays held" in review and "analyst" in review
    assert inbox.dialog.text("Money that posts") == "$40.00"  # only the request without an alert posts
    inbox.dialog.reject()


def test_the_teller_is_told_when_their_request_is_decided(qtbot, services, bank, teller, ui_thread_sql):
    """QA4 #1: the teller's "Waiting for approval … not paid out" line changes when the supervisor decides:
    live (approval.decided), and on a refresh; a rejection carries the supervisor's reason."""
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 100_00)
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "400")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    with qtbot.waitSignal(form.posted):
        form.dialog.confirm_button.click()
    assert form.status.text().startswith("Waiting for approval")
    with ThreadPoolExecutor(1) as pool:
        [request] = pool.submit(lambda: services.approvals.list(SAM)).result()
        pool.submit(lambda: services.approvals.approve(SAM, request.id)).result()
    qtbot.waitUntil(lambda: form.status.text().startswith("Approved by sam: the transfer of $400.00 from"),
                    timeout=5000)
    assert "is posted" in form.status.text() and f"request #{request.id}" in form.status.text()

    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "300")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    with qtbot.waitSignal(form.posted):
        form.dialog.confirm_button.click()
    page.live.names = form.decisions.live.names = ()  # no live event this time: the refresh (F5) finds it
    qtbot.wait(300)  # the reads the posting started are done
    with ThreadPoolExecutor(1) as pool:
        [request] = pool.submit(lambda: services.approvals.list(SAM)).result()
        pool.submit(lambda: services.approvals.reject(SAM, request.id, "customer not present")).result()
    qtbot.wait(300)
    assert form.status.text().startswith("Waiting for approval")
    page.refresh()
    qtbot.waitUntil(lambda: form.status.text().startswith("Rejected by sam: customer not present."))
    assert "Nothing was posted" in form.status.text() and form.status.property("state") == "error"


def test_decided_request_words():
    """Each way a request ends, in words the teller acts on (withdrawn is not "rejected")."""
    from types import SimpleNamespace

    from ui.teller.decisions import told

    def view(state, result="", note=None):  # noqa: ANN001, ANN202
        return SimpleNamespace(id=4, state=state, checker="sam", result=result, decision_note=note)

    args = ("the withdrawal of $11,000.00 from 1000000107", "pay out $11,000.00 now", "nothing was paid out")
    assert told(view("approved", "posted as t1"), *args) == ("Approved by sam: pay out $11,000.00 now (request #4; "
                                                             "posted as t1).", "ok")
    words, tone = told(view("approved", "approved; still held for fraud review (alert #9): …"), *args)
    assert "still held for fraud review" in words and "pay out" not in words and tone == "warning"
    words, tone = told(view("withdrawn", "held funds released", "withdrawn by the maker"), *args)
    assert words.startswith("You withdrew request #4") and "reject" not in words.lower()
    words, tone = told(view("rejected", "held funds released", "ID does not match"), *args)
    assert words.startswith("Rejected by sam: ID does not match. Nothing was paid out") and tone == "error"
    assert told(view("expired"), *args)[0].startswith("Request #4 expired")


def test_a_message_about_the_selection_goes_when_another_is_selected(qtbot, services, bank, teller):
    """QA4 #3: "type the reason for rejecting" for one request no longer shows once another is selected."""
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.ledger.transfer(teller, TransferRequest("m1", bank[0], bank[1], 50_00, "USD"))
    services.ledger.transfer(teller, TransferRequest("m2", bank[0], bank[1], 60_00, "USD"))
    inbox = _inbox(qtbot, services, SAM, 2)
    inbox.table.selectRow(0)
    inbox.reject_selected()  # no reason typed
    assert "reason for rejecting" in inbox.result_label.text()
    inbox.table.selectRow(1)
    assert inbox.result_label.text() == ""


def test_the_approve_confirmation_names_what_will_be_refused(qtbot, services, bank, teller):
    """The bulk confirmation counted under "Money that posts" a request above the checker's own limit (refused
    when approved); it now names it under "Will be refused" with core's reason, and counts only the rest."""
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.ledger.transfer(teller, TransferRequest("m1", bank[0], bank[1], 50_00, "USD"))
    services.ledger.transfer(teller, TransferRequest("m2", bank[0], bank[1], 60_00, "USD"))
    services.approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 55_00)  # lowered while they wait
    inbox = _inbox(qtbot, services, SAM, 2)
    inbox.table.selectAll()
    inbox.approve_selected()
    qtbot.waitUntil(lambda: inbox.dialog is not None and inbox.dialog.isVisible())
    refused = inbox.dialog.text("Will be refused")
    big = next(r.id for r in services.approvals.list(SAM) if r.amount == 60_00)
    assert refused.startswith(f"#{big}: request #{big} is for $60.00, above your supervisor limit"), refused
    assert inbox.dialog.text("Money that posts") == "$50.00"
    inbox.dialog.reject()
