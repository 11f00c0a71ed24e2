"""Holds expire at their timeout by themselves: every posting path and every balance view treats a hold past
its timeout as released (TigerBeetle's rule) before anyone runs the expiry job."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from core.errors import QenexError
from core.ledger import errors
from core.ledger.service import Ledger
from core.ledger.verify import verify
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR as S


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # noqa: ANN204
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["plain", "audited"])
def ledger(engine, clock, request):
    """A plain ledger (PostgreSQL: the optimistic desk path) and one with an audit trail (the locking path)."""
    audit = SimpleNamespace(append=lambda *args, **kwargs: 0) if request.param == "audited" else None
    return Ledger(engine, audit=audit, clock=clock)


@pytest.fixture
def held(ledger):
    """a: 1,000 with a hold of 800 to b that times out after 60 s; returns (a, b)."""
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 1_000, "USD")
    ledger.transfer(S, TransferRequest("hold", a, b, 800, "USD", pending=True, timeout_seconds=60))
    return a, b


def test_a_live_hold_reserves_and_an_expired_one_does_not(ledger, clock, held):
    a, b = held
    with pytest.raises(errors.InsufficientFunds):
        ledger.transfer(S, TransferRequest("t1", a, b, 300, "USD"))
    assert ledger.balance(S, a).available == 200
    clock.advance(60)  # exactly at the timeout: expired
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available, bal.pending_debits) == (1_000, 1_000, 0)
    assert ledger.balance(S, b).pending_credits == 0
    assert {acc.number: acc.available for acc in ledger.accounts(S)}[a] == 1_000
    assert ledger.transfer(S, TransferRequest("t1", a, b, 1_000, "USD")).state == "posted"
    assert ledger.transfer_row(S, "hold")["state"] == "pending"  # nobody touched it: only treated as released


def test_the_expiry_job_later_releases_it_and_the_books_stay_sound(ledger, clock, held, engine):
    a, b = held
    clock.advance(61)
    ledger.transfer(S, TransferRequest("spend", a, b, 900, "USD"))
    assert ledger.expire_pending(S) == 1
    assert ledger.transfer_row(S, "hold")["state"] == "expired"
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available, bal.pending_debits) == (100, 100, 0)
    assert verify(engine).ok
    assert ledger.expire_pending(S) == 0


def test_posting_or_voiding_after_the_timeout_is_refused_clearly(ledger, clock, held):
    a, _b = held
    clock.advance(61)
    with pytest.raises(errors.PendingExpired) as info:
        ledger.post_pending(S, "hold")
    assert "expired at" in info.value.message and "nothing was posted" in info.value.message
    assert "make a new transfer" in info.value.message
    assert ledger.transfer_row(S, "hold")["state"] == "expired"
    assert ledger.balance(S, a).current == 1_000  # nothing moved
    with pytest.raises(errors.PendingAlreadyResolved):
        ledger.void_pending(S, "hold")


def test_void_after_the_timeout_says_there_is_nothing_to_void(ledger, clock, held):
    clock.advance(3600)
    with pytest.raises(errors.PendingExpired) as info:
        ledger.void_pending(S, "hold")
    assert "nothing left to void" in info.value.message


def test_a_second_hold_on_the_same_account_can_use_the_expired_ones_funds_and_post(ledger, clock, held):
    a, b = held
    clock.advance(61)
    ledger.transfer(S, TransferRequest("hold2", a, b, 900, "USD", pending=True, timeout_seconds=600))
    assert ledger.balance(S, a).available == 100
    posted = ledger.post_pending(S, "hold2", 500)
    assert posted.state == "posted"
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available) == (500, 500)
    assert ledger.expire_pending(S) == 1
    assert ledger.balance(S, a).available == 500


def test_linked_and_batch_paths_treat_an_expired_hold_as_released(ledger, clock, held):
    a, b = held
    chain = [TransferRequest("l1", a, b, 600, "USD"), TransferRequest("l2", a, b, 300, "USD")]
    with pytest.raises(errors.LinkedTransferFailed):
        ledger.transfer_linked(S, chain)
    clock.advance(61)
    assert [r.state for r in ledger.transfer_linked(S, chain)] == ["posted", "posted"]
    results = ledger.post_batch(S, [TransferRequest("b1", a, b, 100, "USD"), TransferRequest("b2", a, b, 1, "USD")])
    assert [type(r).__name__ if isinstance(r, QenexError) else r.state for r in results] == [
        "posted", "InsufficientFunds"]


def test_holds_without_a_timeout_never_expire(ledger, clock, held):
    a, b = held
    ledger.transfer(S, TransferRequest("forever", a, b, 100, "USD", pending=True))
    clock.advance(10 * 365 * 86400)
    assert ledger.balance(S, a).available == 900
    assert ledger.expire_pending(S) == 1  # only the timed hold
    assert ledger.post_pending(S, "forever").state == "posted"
