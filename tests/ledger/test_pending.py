"""Two-phase transfers: holds, partial posts, voids, expiry; linked transfers; the batch path."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import QenexError
from core.ledger import errors
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR as S


def test_hold_reserves_then_partial_post_releases_the_rest(ledger, open_account):
    a, b = open_account(funds=10_000), open_account()
    held = ledger.transfer(S, TransferRequest("h", a, b, 4_000, "USD", pending=True))
    assert held.state == "pending"
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available) == (10_000, 6_000)
    with pytest.raises(errors.InsufficientFunds):
        ledger.transfer(S, TransferRequest("too-much", a, b, 6_001, "USD"))
    with pytest.raises(errors.PostExceedsPending):
        ledger.post_pending(S, "h", 4_001)
    posted = ledger.post_pending(S, "h", 2_500)
    assert (posted.kind, posted.amount) == ("post_pending", 2_500)
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available, bal.pending_debits) == (7_500, 7_500, 0)
    assert ledger.post_pending(S, "h", 2_500).replayed
    with pytest.raises(errors.PendingAlreadyResolved):
        ledger.void_pending(S, "h")
    assert ledger.totals_by_currency(S) == {"USD": 0}


def test_void_releases_everything(ledger, open_account):
    a, b = open_account(funds=1_000), open_account()
    ledger.transfer(S, TransferRequest("v", a, b, 1_000, "USD", pending=True))
    ledger.void_pending(S, "v")
    assert ledger.balance(S, a).available == 1_000
    assert ledger.balance(S, b).to_dict()["pending_credits"] == "0.00"
    with pytest.raises(errors.PendingNotFound):
        ledger.void_pending(S, "nope")


def test_expired_hold_releases_and_refuses_posting(engine, open_account):
    from core.ledger.service import Ledger

    now = [utcnow()]
    ledger = Ledger(engine, clock=lambda: now[0])
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    ledger.deposit(S, a, 1_000, "USD")
    b = open_account()
    ledger.transfer(S, TransferRequest("e1", a, b, 600, "USD", pending=True, timeout_seconds=60))
    ledger.transfer(S, TransferRequest("e2", a, b, 300, "USD", pending=True, timeout_seconds=600))
    now[0] += timedelta(seconds=61)
    assert ledger.expire_pending(S) == 1
    assert ledger.balance(S, a).available == 700
    with pytest.raises(errors.PendingAlreadyResolved):
        ledger.post_pending(S, "e1")
    now[0] += timedelta(seconds=600)
    with pytest.raises(errors.PendingExpired):
        ledger.post_pending(S, "e2")
    assert ledger.balance(S, a).available == 1_000


def test_linked_transfers_post_all_or_nothing(ledger, open_account, engine):
    a, b, c = open_account(funds=1_000), open_account(), open_account()
    chain = [TransferRequest("l1", a, b, 800, "USD"), TransferRequest("l2", b, c, 800, "USD")]
    assert [r.state for r in ledger.transfer_linked(S, chain)] == ["posted", "posted"]
    bad = [TransferRequest("l3", a, b, 100, "USD"), TransferRequest("l4", b, c, 10_000, "USD")]
    with pytest.raises(errors.LinkedTransferFailed) as info:
        ledger.transfer_linked(S, bad)
    assert info.value.index == 1 and isinstance(info.value.cause, errors.InsufficientFunds)
    assert ledger.balance(S, a).current == 200  # l3 did not post
    with pytest.raises(errors.TransferNotFound):
        ledger.transfer_row(S, "l3")


def test_batch_accepts_and_refuses_each_transfer_in_order(ledger, open_account):
    a, b = open_account(funds=1_000), open_account()
    reqs = [
        TransferRequest("b1", a, b, 600, "USD"),
        TransferRequest("b2", a, b, 600, "USD"),  # only 400 left: refused
        TransferRequest("b3", b, a, 100, "USD"),
        TransferRequest("b1", a, b, 600, "USD"),  # retry of b1 within the batch: replayed
        TransferRequest("b4", a, a, 1, "USD"),  # same account: refused before touching the database
        TransferRequest("b5", a, b, 500, "USD"),
    ]
    results = ledger.post_batch(S, reqs)
    kinds = [type(r).__name__ if isinstance(r, QenexError) else r.state for r in results]
    assert kinds == ["posted", "InsufficientFunds", "posted", "posted", "SameAccount", "posted"]
    assert results[3].replayed
    assert ledger.balance(S, a).current == 0 and ledger.balance(S, b).current == 1_000
    assert ledger.totals_by_currency(S) == {"USD": 0}
    again = ledger.post_batch(S, reqs[:1])
    assert again[0].replayed
