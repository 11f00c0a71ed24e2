"""Bounds (issue 8 §3): a per-transfer maximum, totals that never leave 64 bits, a maximum pending timeout.

Every posting path applies them (single, optimistic on PostgreSQL, linked, batch, pending post), each as
a typed refusal that writes nothing.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from core.ledger import money, store
from core.ledger.errors import (
    AccountTotalsFull, AmountTooLarge, InvalidTimeout, LinkedTransferFailed,
)
from core.ledger.posting import MAX_TIMEOUT_SECONDS
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR

MAX = money.INT64_MAX


def _req(i, debit, credit, amount, **kw):  # noqa: ANN001, ANN202
    return TransferRequest(id=f"b{i}", debit=debit, credit=credit, amount=amount, currency="USD", **kw)


def _set_totals(engine, number, **totals) -> None:  # noqa: ANN001
    """Put an account's totals where a long-lived bank's would be (balance kept by raising both sides)."""
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE accounts SET {', '.join(f'{k} = :{k}' for k in totals)} WHERE number = :n"),
                     {**totals, "n": number})


def _snapshot(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        accounts = conn.execute(select(store.A).order_by(store.A.c.id)).all()
        return accounts, conn.execute(select(func.count()).select_from(store.T)).scalar_one()


def test_the_largest_transfer_posts_and_later_deposits_still_work(ledger, open_account):
    a = open_account()
    assert ledger.deposit(SYSTEM_ACTOR, a, money.max_transfer("USD"), "USD").state == "posted"
    with pytest.raises(AmountTooLarge, match="at most 10,000,000,000,000.00 USD"):
        ledger.deposit(SYSTEM_ACTOR, a, money.max_transfer("USD") + 1, "USD")
    b = open_account()
    assert ledger.deposit(SYSTEM_ACTOR, b, 1, "USD").state == "posted"  # the cash GL account is far from full
    assert ledger.balance(SYSTEM_ACTOR, a).current == money.max_transfer("USD")


def test_a_full_cash_account_refuses_typed_and_writes_nothing(ledger, open_account, engine):
    a = open_account(funds=100)
    cash = ledger._cash_account(SYSTEM_ACTOR, "USD")
    _set_totals(engine, cash, debits_posted=MAX - 10, credits_posted=MAX - 110)
    before = _snapshot(engine)
    with pytest.raises(AccountTotalsFull, match=f"account {cash} cannot take 0.11 USD: its debits posted"):
        ledger.deposit(SYSTEM_ACTOR, a, 11, "USD")
    assert _snapshot(engine) == before
    assert ledger.deposit(SYSTEM_ACTOR, a, 10, "USD").state == "posted"  # exactly to the limit
    with pytest.raises(AccountTotalsFull):
        ledger.deposit(SYSTEM_ACTOR, a, 1, "USD")
    assert ledger.withdraw(SYSTEM_ACTOR, a, 1, "USD").state == "posted"  # the other side still has room


def test_every_posting_path_checks_the_totals(ledger, open_account, engine):
    a, b = open_account(funds=1_000), open_account()
    _set_totals(engine, b, credits_posted=MAX - 5, debits_posted=MAX - 5)
    before = _snapshot(engine)
    with pytest.raises(AccountTotalsFull, match="credits posted"):
        ledger.transfer(SYSTEM_ACTOR, _req(1, a, b, 6))
    with pytest.raises(LinkedTransferFailed, match="account_totals_full"):
        ledger.transfer_linked(SYSTEM_ACTOR, [_req(2, a, b, 1), _req(3, a, b, 5)])
    results = ledger.post_batch(SYSTEM_ACTOR, [_req(4, a, b, 6), _req(5, a, b, 5)])
    assert isinstance(results[0], AccountTotalsFull) and results[1].state == "posted"
    _set_totals(engine, b, credits_pending=MAX - 1)
    with pytest.raises(AccountTotalsFull, match="credits pending"):
        ledger.transfer(SYSTEM_ACTOR, _req(6, a, b, 2, pending=True))
    held = ledger.transfer(SYSTEM_ACTOR, _req(7, a, b, 1, pending=True))
    _set_totals(engine, b, credits_posted=MAX)
    with pytest.raises(AccountTotalsFull):
        ledger.post_pending(SYSTEM_ACTOR, held.id)
    assert ledger.void_pending(SYSTEM_ACTOR, held.id).state == "resolved"
    assert _snapshot(engine)[1] == before[1] + 3  # batch b5, hold b7 and its void; nothing from the refusals


@pytest.mark.parametrize("timeout", [0, -1, MAX_TIMEOUT_SECONDS + 1, 999_999_999_999, 10**30, True, 1.5])
def test_pending_timeouts_have_a_documented_maximum(ledger, open_account, timeout):
    a, b = open_account(funds=100), open_account()
    with pytest.raises(InvalidTimeout, match="1 to 2,592,000 seconds"):
        ledger.transfer(SYSTEM_ACTOR, _req(1, a, b, 1, pending=True, timeout_seconds=timeout))


def test_the_longest_timeout_is_accepted(ledger, open_account):
    a, b = open_account(funds=100), open_account()
    held = ledger.transfer(SYSTEM_ACTOR, _req(1, a, b, 1, pending=True, timeout_seconds=MAX_TIMEOUT_SECONDS))
    assert held.state == "pending"
    with pytest.raises(InvalidTimeout, match="pending transfer only"):
        ledger.transfer(SYSTEM_ACTOR, _req(2, a, b, 1, timeout_seconds=60))


@pytest.mark.parametrize("field, value", [("description", "x" * 201), ("code", "c" * 21), ("channel", "c" * 17),
                                          ("counterparty", "p" * 65), ("counterparty_country", "USA"),
                                          ("device", "d" * 65), ("description", "nul\x00")])
def test_text_longer_than_its_column_is_refused_before_the_database(ledger, open_account, field, value):
    a, b = open_account(funds=100), open_account()
    with pytest.raises(Exception) as caught:
        ledger.transfer(SYSTEM_ACTOR, _req(1, a, b, 1, **{field: value}))
    assert caught.value.code in ("invalid", "invalid_text")


def test_descriptions_are_normalised(ledger, open_account):
    a, b = open_account(funds=100), open_account()
    ledger.transfer(SYSTEM_ACTOR, _req(1, a, b, 1, description="  Rent\u00a0\u00a0March\u200b "))
    assert ledger.transfer_row(SYSTEM_ACTOR, "b1")["description"] == "Rent March"
