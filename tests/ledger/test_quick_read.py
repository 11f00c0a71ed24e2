"""``qenex balance``'s driver-level read (core.ledger.quick_read) gives exactly the ledger's balance, holds past
their timeout released (TigerBeetle's rule), on both backends; it steps aside (None) whenever the engine path
must run: an unmigrated or older database, a currency at another exponent, an unknown URL or driver trouble."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from core.ledger import errors, quick_read
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR as S


def _url(engine) -> str:  # noqa: ANN001
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def bank(engine):
    """a: 1,000.00 USD with a hold of 800.00 to b that times out after 60 s; returns (ledger, a, b, start)."""
    ledger = Ledger(engine)
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 1_000_00, "USD")
    start = utcnow()
    ledger.transfer(S, TransferRequest("hold", a, b, 800_00, "USD", pending=True, timeout_seconds=60))
    return ledger, a, b, start


@pytest.mark.parametrize("after", [0, 59, 60, 61, 3600])
def test_the_quick_read_is_the_ledgers_balance_before_and_after_a_hold_times_out(engine, bank, after):
    ledger, a, b, start = bank
    now = start + timedelta(seconds=after)
    ledger.clock = lambda: now
    for number in (a, b):
        assert quick_read.balance(_url(engine), number, now) == ledger.balance(S, number)
    if after != 60:  # (at 60 s the hold's own start, a few ms after ``start``, decides)
        assert quick_read.balance(_url(engine), a, now).available == (1_000_00 if after > 60 else 200_00)


def test_an_unknown_or_malformed_account_is_refused_as_the_ledger_does(engine, bank):
    with pytest.raises(errors.AccountNotFound):
        quick_read.balance(_url(engine), "1000000099", utcnow())
    with pytest.raises(errors.InvalidAccountNumber):
        quick_read.balance(_url(engine), "12", utcnow())


def test_it_steps_aside_for_an_older_schema_or_a_currency_at_another_exponent(engine, bank):
    _, a, _, _ = bank
    with engine.begin() as conn:
        conn.execute(text("UPDATE currency_exponents SET exponent = 3 WHERE code = 'USD'"))
    assert quick_read.balance(_url(engine), a, utcnow()) is None  # the engine path explains ExponentChanged
    with engine.begin() as conn:
        conn.execute(text("UPDATE currency_exponents SET exponent = 2 WHERE code = 'USD'"))
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    assert quick_read.balance(_url(engine), a, utcnow()) is None  # the engine path migrates


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://x@y/z", "nonsense",
                                 "postgresql+psycopg://nobody@127.0.0.1:1/none"])
def test_it_steps_aside_for_urls_it_does_not_read(url, tmp_path):
    assert quick_read.balance(url, "1000000016", utcnow()) is None
    assert quick_read.balance(f"sqlite:///{tmp_path / 'missing.db'}", "1000000016", utcnow()) is None
    assert not (tmp_path / "missing.db").exists()  # nothing created: the engine path creates and migrates
