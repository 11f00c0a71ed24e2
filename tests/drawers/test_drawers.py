"""Cash drawer sessions on SQLite and PostgreSQL: float, cash through the drawer, blind close with
over/short, the supervisor's note, CTR flags, denomination checks, vault transfers, the report."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from core.drawers import denominations as dn
from core.drawers.errors import (
    DrawerBusy, DrawerState, IdDocumentRequired, InvalidCount, NoOpenDrawer, SupervisorNoteRequired,
)
from core.errors import PermissionDenied
from core.ledger.errors import InsufficientFunds
from core.persistence.models import AuditEntry, DrawerSession, Transfer, User
from core.security.roles import SYSTEM_ACTOR
from tests.drawers.conftest import SAM, SAM_PASSWORD, TINA, TOM, usd

FLOAT = {usd("100"): 5, usd("20"): 20, usd("1"): 50}  # 500 + 400 + 50 = 950.00


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_open_deposit_withdraw_and_expected_cash(drawers, account):
    s = drawers.open(TINA, "d1", "USD", FLOAT)
    assert (s.drawer, s.status, s.opening_float, s.cash) == ("D1", "open", usd("950"), usd("950"))
    drawers.deposit(TINA, account, usd("300"), "USD")
    drawers.withdraw(TINA, account, usd("120.50"), "USD")
    (live,) = drawers.sessions(TINA, mine=True)
    assert live.cash is None  # QA #15: the count is blind, a teller is not told the expected cash before it
    assert drawers.session(SAM, live.id).cash == usd("1129.50")  # a supervisor is
    with pytest.raises(DrawerState, match="count is blind"):  # the report lists the cash after each movement
        drawers.report(TINA, live.id)
    assert drawers.report(SAM, live.id) is not None
    # nor through the drawer's GL account: its balance and statement are the expected cash
    for read in (lambda: drawers.ledger.balance(TINA, live.account), lambda: drawers.ledger.statement(TINA, live.account)):
        with pytest.raises(PermissionDenied, match="cash drawer"):
            read()
    assert live.account not in [a.number for a in drawers.ledger.accounts(TINA, limit=1000)]
    assert live.account in [a.number for a in drawers.ledger.accounts(SAM, limit=1000)]
    assert drawers.ledger.balance(SAM, live.account).current is not None
    bal = drawers.ledger.balance(TINA, account)
    assert bal.current == usd("50179.50")


def test_no_open_drawer_is_a_clear_refusal_and_writes_nothing(drawers, account, engine):
    before = _count(engine, Transfer.__table__)
    with pytest.raises(NoOpenDrawer, match="no open USD cash drawer"):
        drawers.deposit(TINA, account, usd("10"), "USD")
    assert _count(engine, Transfer.__table__) == before


def test_withdrawal_beyond_the_drawer_cash_is_refused(drawers, account):
    drawers.open(TINA, "D1", "USD", {usd("20"): 5})
    with pytest.raises(InsufficientFunds, match="bring cash from the vault"):
        drawers.withdraw(TINA, account, usd("150"), "USD")
    assert drawers.sessions(SAM)[0].cash == usd("100")


def test_one_live_session_per_drawer_and_per_teller(drawers):
    drawers.open(TINA, "D1", "USD", FLOAT)
    with pytest.raises(DrawerBusy, match="already open by tina"):
        drawers.open(TOM, "D1", "USD", FLOAT)
    with pytest.raises(DrawerBusy, match="you already have drawer D1"):
        drawers.open(TINA, "D2", "USD", FLOAT)


def test_denominations_are_checked(drawers, engine):
    with pytest.raises(InvalidCount, match="0.03 is not a USD note or coin"):
        drawers.open(TINA, "D1", "USD", {3: 1})
    with pytest.raises(InvalidCount, match="whole number of pieces"):
        drawers.open(TINA, "D1", "USD", {usd("20"): -1})
    with pytest.raises(InvalidCount, match="has no table of notes"):
        drawers.open(TINA, "D1", "XAF", {100: 1})
    with pytest.raises(InvalidCount, match="DENOMINATIONxPIECES"):
        dn.parse_spec(["20"], "USD")
    with pytest.raises(InvalidCount, match="more than 2 decimals|decimals"):
        dn.parse_spec(["0.001x3"], "USD")
    assert dn.parse_spec(["100x2", "0.25×4", "100=1"], "USD") == {usd("100"): 3, usd("0.25"): 4}
    assert _count(engine, DrawerSession.__table__) == 0


def test_blind_close_within_the_limit_posts_the_variance(drawers, account, engine):
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    drawers.deposit(TINA, account, usd("50"), "USD")
    counted = {usd("100"): 5, usd("20"): 22, usd("1"): 45}  # 1,000 + 0 = 945 + 40... = 985.00: short 15.00
    result = drawers.count(TINA, s.id, counted)
    assert (result.expected, result.counted, result.difference, result.needs_note) == (
        usd("1000"), usd("985"), -usd("15"), False)
    with pytest.raises(DrawerState, match="counted blind"):
        drawers.deposit(TINA, account, usd("5"), "USD")
    with pytest.raises(DrawerState):
        drawers.count(TINA, s.id, counted)  # a recount is not allowed
    closed = drawers.close(TINA, s.id)
    assert closed.status == "closed" and closed.cash == 0 and closed.difference == -usd("15")
    short = drawers.ledger.transfer_row(TINA, f"drawer-{s.id}-short")
    assert short["amount"] == usd("15") and short["code"] == "cash_short"
    assert drawers.sessions(TINA) == []
    # the drawer opens again, empty
    assert drawers.open(TINA, "D1", "USD", {usd("50"): 1}).cash == usd("50")


def test_a_difference_above_the_limit_needs_a_supervisors_note(drawers, engine):
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    result = drawers.count(TINA, s.id, {usd("100"): 6, usd("20"): 20, usd("1"): 50})  # over 100.00
    assert result.difference == usd("100") and result.needs_note
    note = "customer change left on the counter"
    for kw, match in (({}, "supervisor must sign"), ({"supervisor": "tina", "note": "x" * 20}, "not an active"),
                      ({"supervisor": "sam", "note": "short"}, "at least 10 characters and 2 words"),
                      ({"supervisor": "nobody", "note": "x" * 20}, "not an active supervisor"),
                      ({"supervisor": "sam", "note": note}, "their own password"),
                      ({"supervisor": "sam", "password": "not sam's", "note": note}, "not sam's password")):
        with pytest.raises(SupervisorNoteRequired, match=match):
            drawers.close(TINA, s.id, **kw)
    assert drawers.session(TINA, s.id).status == "counted"
    closed = drawers.close(TINA, s.id, supervisor="SAM", password=SAM_PASSWORD, note=note)
    assert (closed.supervisor, closed.supervisor_note) == ("sam", note)
    with engine.connect() as conn:
        row = conn.execute(select(AuditEntry.__table__.c.after).where(
            AuditEntry.__table__.c.action == "drawer.close")).scalar_one()
    assert "sam" in str(row) and "customer change" in str(row)
    over = drawers.ledger.transfer_row(TINA, f"drawer-{s.id}-over")
    assert over["code"] == "cash_over"


def test_typing_a_supervisors_name_is_not_a_sign_off(drawers, users, engine):
    """QA #16: the supervisor proves who they are as at a sign-in: a wrong password counts towards their
    lockout and is audited; an enrolled supervisor also gives a current one-time code."""
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    drawers.count(TINA, s.id, {usd("100"): 5, usd("20"): 20})  # short 50.00
    note = "fifty dollars short, recounted twice"
    with pytest.raises(SupervisorNoteRequired, match="not sam's password") as err:
        drawers.close(TINA, s.id, supervisor="sam", password="guess", note=note)
    assert err.value.details["field"] == "password"
    with engine.connect() as conn:
        failed = conn.execute(select(User.failed_attempts).where(User.username == "sam")).scalar_one()
        audited = conn.execute(select(AuditEntry.__table__.c.action).where(
            AuditEntry.__table__.c.target == "sam")).scalars().all()
    assert failed == 1 and "login.failed" in audited
    # sue uses an authenticator app: her password alone is not enough
    new = users.add_user(SYSTEM_ACTOR, "sue", "supervisor", SAM_PASSWORD, must_change_password=False)
    users.complete_login(users.begin_login("sue", SAM_PASSWORD), pyotp.TOTP(new.enrollment.secret).now())
    with pytest.raises(SupervisorNoteRequired, match="one-time code") as err:
        drawers.close(TINA, s.id, supervisor="sue", password=SAM_PASSWORD, note=note)
    assert err.value.details["field"] == "code"
    with pytest.raises(SupervisorNoteRequired, match="code was refused"):
        drawers.close(TINA, s.id, supervisor="sue", password=SAM_PASSWORD, code="000000", note=note)
    assert drawers.session(TINA, s.id).status == "counted"
    for _ in range(4):  # five failures lock sue: a locked supervisor cannot sign
        with pytest.raises(SupervisorNoteRequired):
            drawers.close(TINA, s.id, supervisor="sue", password="wrong", note=note)
    with pytest.raises(SupervisorNoteRequired, match="cannot sign now: too many failed attempts"):
        drawers.close(TINA, s.id, supervisor="sue", password=SAM_PASSWORD, note=note)
    closed = drawers.close(TINA, s.id, supervisor="sam", password=SAM_PASSWORD, note=note)
    assert (closed.status, closed.supervisor) == ("closed", "sam")


def test_cash_above_the_threshold_needs_id_and_is_flagged(drawers, account, engine):
    drawers.open(TINA, "D1", "USD", FLOAT)
    before = _count(engine, Transfer.__table__)
    with pytest.raises(IdDocumentRequired, match="above \\$10,000.00 needs the customer's ID"):
        drawers.deposit(TINA, account, usd("10000.01"), "USD")
    with pytest.raises(IdDocumentRequired, match="not the one on file"):
        drawers.deposit(TINA, account, usd("12000"), "USD", id_document=("passport", "Z9999999"))
    with pytest.raises(IdDocumentRequired, match="not the one on file"):  # QA #11: caught before the review
        drawers.ctr_check(TINA, account, usd("12000"), "USD", deposit=True, id_document=("passport", "Z9999999"))
    assert "needs the customer's ID" in drawers.ctr_check(TINA, account, usd("12000"), "USD", deposit=True,
                                                         id_document=("passport", "X1234567"))
    assert _count(engine, Transfer.__table__) == before
    at = drawers.deposit(TINA, account, usd("10000"), "USD")  # at the threshold: not above it
    assert drawers.cash_reports(TINA) == []
    r = drawers.deposit(TINA, account, usd("12000"), "USD", id_document=("Passport", "x123 4567"))
    # the day's cash in is 22,000.00: both deposits are flagged (aggregated per customer per business day)
    flags = {f.transfer_id: f for f in drawers.cash_reports(TINA)}
    flag, earlier = flags[r.id], flags[at.id]
    assert (flag.transfer_id, flag.amount, flag.direction, flag.id_number) == (r.id, usd("12000"), "in", "X1234567")
    assert (earlier.transfer_id, earlier.amount, earlier.id_number) == (at.id, usd("10000"), "X1234567")


def test_vault_transfers_and_the_report(drawers, account):
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    drawers.vault_transfer(TINA, s.id, usd("500"), to_drawer=True)
    drawers.vault_transfer(TINA, s.id, usd("200"), to_drawer=False)
    with pytest.raises(InsufficientFunds):
        drawers.vault_transfer(TINA, s.id, usd("5000"), to_drawer=False)
    with pytest.raises(PermissionDenied):
        drawers.vault_transfer(TOM, s.id, usd("1"), to_drawer=True)
    assert drawers.session(SAM, s.id).cash == usd("1250")
    drawers.count(TINA, s.id, {usd("100"): 12, usd("50"): 1})
    drawers.close(TINA, s.id)
    pdf = drawers.report(SAM, s.id).output()
    assert pdf.startswith(b"%PDF")


def test_two_desks_opening_one_drawer_at_once_get_one_session(drawers):
    import threading

    results, errors = [], []

    def open_(actor) -> None:  # noqa: ANN001
        try:
            results.append(drawers.open(actor, "D9", "USD", FLOAT))
        except DrawerBusy as err:
            errors.append(err)

    threads = [threading.Thread(target=open_, args=(a,)) for a in (TINA, TOM, SAM)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and len(errors) == 2
    assert [s.id for s in drawers.sessions(SAM)] == [results[0].id]
    assert drawers.session(SAM, results[0].id).cash == usd("950")


def test_counted_but_not_closed_refuses_cash_and_vault_until_closed(drawers, account):
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    drawers.count(TINA, s.id, FLOAT)
    with pytest.raises(DrawerState, match="counted blind"):
        drawers.withdraw(TINA, account, usd("1"), "USD")
    with pytest.raises(DrawerState):
        drawers.vault_transfer(TINA, s.id, usd("1"), to_drawer=True)
    with pytest.raises(DrawerBusy):
        drawers.open(TINA, "D2", "USD", FLOAT)  # still this teller's live session
    assert drawers.close(TINA, s.id).difference == 0


def test_a_withdrawal_above_the_tellers_limit_waits_for_approval_and_the_count_waits_too(drawers, account):
    from core.approvals import Approvals, Policy

    drawers.ledger.four_eyes = Approvals(drawers.ledger, Policy())
    s = drawers.open(TINA, "D1", "USD", {usd("100"): 200})  # 20,000.00
    # said before the confirmation, so the form offers "Send for approval" (QA #7); deposits never wait
    assert drawers.approval_check(TINA, account, usd("12000"), "USD", deposit=False) == \
        "above the teller limit of $10,000.00"
    assert drawers.approval_check(TINA, account, usd("10000"), "USD", deposit=False) is None
    assert drawers.approval_check(TINA, account, usd("12000"), "USD", deposit=True) is None
    from core.approvals.errors import AboveEveryApprovalLimit  # nobody could approve it: refused, never "waits"

    with pytest.raises(AboveEveryApprovalLimit, match="above every approver's limit"):
        drawers.approval_check(TINA, account, usd("60000"), "USD", deposit=False)
    held = drawers.withdraw(TINA, account, usd("12000"), "USD", id_document=("passport", "X1234567"))
    assert held.state == "pending" and held.approval is not None  # above the teller's 10,000 limit
    assert drawers.session(SAM, s.id).cash == usd("20000")  # nothing paid out yet
    with pytest.raises(DrawerState, match="waiting for a decision"):
        drawers.count(TINA, s.id, {usd("100"): 80})
    drawers.ledger.four_eyes.approve(SAM, held.approval, "customer known, ID checked")
    assert drawers.session(SAM, s.id).cash == usd("8000")  # approved: posted through the drawer
    assert drawers.count(TINA, s.id, {usd("100"): 80}).difference == 0
    assert [r.transfer_id for r in drawers.cash_reports(TINA)] == [held.id]


def test_ctr_aggregates_a_customers_cash_per_business_day(drawers, account, engine, teller):
    """31 CFR 1010.313: cash in (and, separately, cash out) of one customer totalling more than 10,000 USD in
    one business day is one reportable transaction, across their accounts and drawers."""
    from tests.drawers.conftest import SYSTEM_ACTOR

    drawers.open(TINA, "D1", "USD", FLOAT)
    first = drawers.deposit(TINA, account, usd("6000"), "USD")
    assert drawers.cash_reports(TINA) == []
    assert drawers.ctr_check(TINA, account, usd("4000"), "USD", deposit=True) is None
    why = drawers.ctr_check(TINA, account, usd("4000.01"), "USD", deposit=True)
    assert "comes to $10,000.01 ($6,000.00 earlier and $4,000.01 now)" in why
    with pytest.raises(IdDocumentRequired, match="earlier"):
        drawers.deposit(TINA, account, usd("4000.01"), "USD")
    # a second account of the same customer counts too
    cust = drawers.ledger.accounts(SYSTEM_ACTOR, search=account)[0].customer_id
    other = drawers.ledger.open_account(SYSTEM_ACTOR, cust, "USD").number
    second = drawers.deposit(TINA, other, usd("4500"), "USD", id_document=("passport", "X1234567"))
    flags = {f.transfer_id: f for f in drawers.cash_reports(TINA)}
    assert set(flags) == {first.id, second.id} and flags[first.id].id_number == "X1234567"
    # cash out is aggregated on its own: 9,000.00 out is below the threshold
    drawers.vault_transfer(TINA, drawers.sessions(TINA, mine=True)[0].id, usd("9000"), to_drawer=True)
    drawers.withdraw(TINA, account, usd("9000"), "USD")
    assert len(drawers.cash_reports(TINA)) == 2


def test_another_tellers_drawer_is_theirs_or_a_supervisors(drawers, account, engine):
    s = drawers.open(TINA, "D1", "USD", FLOAT)
    with pytest.raises(PermissionDenied, match="is tina's.*supervisor role may"):
        drawers.report(TOM, s.id)
    with pytest.raises(PermissionDenied, match="is tina's"):
        drawers.session(TOM, s.id)
    assert drawers.recent(TOM) == [] and [r.id for r in drawers.recent(SAM)] == [s.id]
    assert drawers.sessions(TOM) == [] and [r.id for r in drawers.sessions(SAM)] == [s.id]
    from core.security.roles import Actor, Role

    with pytest.raises(PermissionDenied, match="teller or supervisor role may"):  # CTR flags hold ID documents
        drawers.cash_reports(Actor("anna", Role.ANALYST))
    assert drawers.session(SAM, s.id).teller == "tina" and drawers.report(SAM, s.id).output().startswith(b"%PDF")


def test_the_review_checks_the_drawer_first_and_its_cash_before_anything_is_written(drawers, account):
    """QA: a $5,000.00 withdrawal was reviewed 'Pay out $5,000.00 in cash' from a drawer holding $2,700.00,
    and a $12,000.00 deposit with no drawer open asked for the ID document first. core checks the drawer
    first (open? holds enough for cash out?), before the CTR document, at review (cash_check) and at posting."""
    with pytest.raises(NoOpenDrawer, match="no open USD cash drawer"):  # not 'ID document required'
        drawers.deposit(TINA, account, usd("12000"), "USD")
    with pytest.raises(NoOpenDrawer, match="no open USD cash drawer"):
        drawers.cash_check(TINA, usd("12000"), "USD", deposit=True)
    drawers.open(TINA, "D1", "USD", {usd("100"): 27})  # 2,700.00
    with pytest.raises(InsufficientFunds, match="holds less than \\$5,000.00; bring cash from the vault") as err:
        drawers.cash_check(TINA, usd("5000"), "USD", deposit=False)
    assert "2,700" not in err.value.message and err.value.details["field"] == "amount"  # the count stays blind
    with pytest.raises(InsufficientFunds, match="holds less than"):  # before the ID document is asked for
        drawers.withdraw(TINA, account, usd("12000"), "USD")
    ready = drawers.cash_check(TINA, usd("2700"), "USD", deposit=False)
    assert (ready.drawer, ready.status, ready.cash) == ("D1", "open", None)
    assert drawers.cash_check(TINA, usd("12000"), "USD", deposit=True).drawer == "D1"
