"""Single transfers, refusals that write nothing, idempotency, corrections, statements (both backends)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from core.errors import PermissionDenied, ValidationError
from core.ledger import errors, numbers
from core.ledger.views import TransferRequest
from core.persistence.models import Entry, Transfer
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tina", Role.TELLER)
SUPERVISOR = Actor("sue", Role.SUPERVISOR)  # account status and corrections are human-only (roles.HUMAN_ONLY)


def counts(engine):
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Transfer)).scalar_one(),
                conn.execute(select(func.count()).select_from(Entry)).scalar_one())


def test_transfer_posts_balanced_entries(ledger, open_account):
    a, b = open_account(funds=10_000), open_account()
    result = ledger.transfer(TELLER, TransferRequest("t-1", a, b, 2_550, "USD"))
    assert (result.state, result.replayed) == ("posted", False)
    assert ledger.balance(TELLER, a).current == 7_450
    assert ledger.balance(TELLER, b).current == 2_550
    assert ledger.totals_by_currency(SYSTEM_ACTOR) == {"USD": 0}
    lines = ledger.statement(TELLER, a).lines
    assert [(ln.amount, ln.balance_after) for ln in lines] == [(-2_550, 7_450), (10_000, 10_000)]


@pytest.mark.parametrize("make_request,error", [
    (lambda a, b, c, j: TransferRequest("x", a, numbers.make(99_999, "deposit"), 1, "USD"), errors.AccountNotFound),
    (lambda a, b, c, j: TransferRequest("x", a, c, 1, "USD"), errors.CurrencyMismatch),
    (lambda a, b, c, j: TransferRequest("x", a, j, 1, "JPY"), errors.CurrencyMismatch),
    (lambda a, b, c, j: TransferRequest("x", a, a, 1, "USD"), errors.SameAccount),
    (lambda a, b, c, j: TransferRequest("x", a, b, 0, "USD"), errors.InvalidAmount),
    (lambda a, b, c, j: TransferRequest("x", a, b, -5, "USD"), errors.InvalidAmount),
    (lambda a, b, c, j: TransferRequest("x", a, b, 1.5, "USD"), errors.InvalidAmount),
    (lambda a, b, c, j: TransferRequest("x", a, b, 1, "ZZZ"), errors.UnknownCurrency),
    (lambda a, b, c, j: TransferRequest("x", a, b, 10_001, "USD"), errors.InsufficientFunds),
    (lambda a, b, c, j: TransferRequest("x y", a, b, 1, "USD"), ValidationError),
    (lambda a, b, c, j: TransferRequest("x", "123", b, 1, "USD"), errors.InvalidAccountNumber),
])
def test_bad_input_gets_a_specific_error_and_writes_nothing(ledger, open_account, engine, make_request, error):
    a, b, c, j = open_account(funds=10_000), open_account(), open_account("EUR"), open_account("JPY")
    before = counts(engine)
    with pytest.raises(error):
        ledger.transfer(TELLER, make_request(a, b, c, j))
    assert counts(engine) == before
    assert ledger.balance(TELLER, a).current == 10_000


def test_frozen_and_closed_accounts_refuse(ledger, open_account):
    a, b = open_account(funds=500), open_account()
    ledger.set_status(SUPERVISOR, b, "frozen")
    with pytest.raises(errors.AccountFrozen):
        ledger.transfer(TELLER, TransferRequest("f1", a, b, 1, "USD"))
    ledger.set_status(SUPERVISOR, b, "closed")
    with pytest.raises(errors.AccountClosed):
        ledger.transfer(TELLER, TransferRequest("f2", a, b, 1, "USD"))
    with pytest.raises(errors.AccountNotEmpty):
        ledger.set_status(SUPERVISOR, a, "closed")


def test_overdraft_limit_is_the_floor(ledger, open_account):
    a, b = open_account(funds=1_000, overdraft=500), open_account()
    ledger.transfer(TELLER, TransferRequest("o1", a, b, 1_500, "USD"))
    assert ledger.balance(TELLER, a).current == -500
    with pytest.raises(errors.InsufficientFunds):
        ledger.transfer(TELLER, TransferRequest("o2", a, b, 1, "USD"))


def test_idempotent_retry_returns_the_original_and_posts_nothing(ledger, open_account, engine):
    a, b = open_account(funds=10_000), open_account()
    first = ledger.transfer(TELLER, TransferRequest("idem", a, b, 100, "USD"))
    before = counts(engine)
    again = ledger.transfer(TELLER, TransferRequest("idem", a, b, 100, "USD"))
    assert again.replayed and again.created_at == first.created_at and counts(engine) == before
    with pytest.raises(errors.IdConflict):
        ledger.transfer(TELLER, TransferRequest("idem", a, b, 101, "USD"))
    assert ledger.balance(TELLER, a).current == 9_900


def test_currency_exponents_in_the_ledger(ledger, open_account):
    j1, j2 = open_account("JPY", funds=1_000), open_account("JPY")
    k1, k2 = open_account("BHD", funds=1_500), open_account("BHD")
    ledger.transfer(TELLER, TransferRequest("jpy", j1, j2, 999, "JPY"))
    ledger.transfer(TELLER, TransferRequest("bhd", k1, k2, 1_234, "BHD"))
    assert ledger.balance(TELLER, j2).to_dict()["current"] == "999"
    assert ledger.balance(TELLER, k2).to_dict()["current"] == "1.234"


def test_correction_reverses_once_and_entries_stay(ledger, open_account):
    a, b = open_account(funds=1_000), open_account()
    ledger.transfer(TELLER, TransferRequest("oops", a, b, 300, "USD"))
    with pytest.raises(PermissionDenied):
        ledger.correct(TELLER, "oops")
    fix = ledger.correct(SUPERVISOR, "oops")
    assert fix.debit == b and fix.credit == a
    assert ledger.balance(TELLER, a).current == 1_000
    with pytest.raises(errors.AlreadyCorrected):
        ledger.correct(SUPERVISOR, "oops", id="oops-again")
    assert len(ledger.statement(TELLER, a).lines) == 3


def test_entries_are_immutable_in_the_database(ledger, open_account, engine):
    open_account(funds=100)
    with pytest.raises(Exception, match="immutable"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE entries SET amount = amount + 1"))
    with pytest.raises(Exception, match="immutable"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM entries"))


def test_permissions_are_enforced_in_core(ledger, open_account):
    a, b = open_account(funds=100), open_account()
    analyst = Actor("ann", Role.ANALYST)
    with pytest.raises(PermissionDenied):
        ledger.transfer(analyst, TransferRequest("p", a, b, 1, "USD"))
    with pytest.raises(PermissionDenied):
        ledger.deposit(Actor("adam", Role.ADMIN), a, 1, "USD")
    with pytest.raises(errors.BackdatingNotAllowed):
        ledger.transfer(TELLER, TransferRequest("bd", a, b, 1, "USD", at=datetime(2020, 1, 1, tzinfo=timezone.utc)))


def test_cash_goes_through_the_cash_gl_account(ledger, open_account):
    a = open_account()
    ledger.deposit(TELLER, a, 5_000, "USD")
    ledger.withdraw(TELLER, a, 1_000, "USD")
    gl = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")
    assert ledger.balance(TELLER, gl["teller_cash"].number).current == -4_000
    with pytest.raises(errors.InsufficientFunds):
        ledger.withdraw(TELLER, a, 4_001, "USD")


def test_ledger_verify_finds_a_tampered_balance(ledger, open_account, engine):
    from core.ledger.verify import verify

    a, b = open_account(funds=1_000), open_account()
    ledger.transfer(TELLER, TransferRequest("v1", a, b, 100, "USD"))
    assert verify(engine).ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET credits_posted = credits_posted + 5 WHERE number = :n"), {"n": b})
    problems = verify(engine).problems
    assert any(b in p for p in problems) and any("sum to" in p for p in problems)
