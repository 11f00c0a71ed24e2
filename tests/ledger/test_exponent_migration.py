"""Migration 0005: amounts of currencies whose exponent moved from CLDR's to ISO 4217's are rescaled, or refused.

A database written before 0005 held IQD at 0 decimals (CLDR) and USD at 2; after the upgrade the same
money reads the same (1000 IQD stays 1,000 dinars, now 1000000 minor units at ISO's exponent 3), the
ledger verifies, and a later exponent change is refused at start-up instead of being read silently.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from core.ledger import exponents, money
from core.ledger.service import Ledger
from core.ledger.verify import verify
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.roles import SYSTEM_ACTOR
from tests.conftest import _drop_pg, _fresh_pg_engine

BEFORE = ScriptDirectory.from_config(migrate._config()).get_revision("0005").down_revision  # whatever precedes it


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_engine(request, tmp_path):
    """A database at the revision before 0005."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate.upgrade(engine, BEFORE)
        yield engine
        engine.dispose()
    else:
        engine, admin, schema = _fresh_pg_engine(pool_size=2)
        migrate.upgrade(engine, BEFORE)
        yield engine
        _drop_pg(engine, admin, schema)


def _old_bank(engine, *, iqd_funds: int = 1000) -> None:
    """What the pre-0005 ledger wrote: a cash deposit of ``iqd_funds`` IQD (at exponent 0) and 12.34 USD,
    plus a pending IQD transfer of 250 and an overdraft limit of 500 IQD."""
    now = datetime.now(timezone.utc).replace(tzinfo=None) if engine.dialect.name == "sqlite" else datetime.now(timezone.utc)
    rows = [  # id, number, customer, kind, currency, overdraft, dp, cp, dpe, cpe
        (1, "9000000019", None, "teller_cash", "IQD", None, iqd_funds, 0, 0, 0),
        (2, "1000000024", 1, "deposit", "IQD", 500, 0, iqd_funds, 250, 0),
        (3, "1000000032", 1, "deposit", "IQD", 0, 0, 0, 0, 250),
        (4, "9000000043", None, "teller_cash", "USD", None, 1234, 0, 0, 0),
        (5, "1000000057", 1, "deposit", "USD", 0, 0, 1234, 0, 0),
    ]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, name, country, created_at) VALUES (1, 'Old Bank', 'IQ', :t)"),
                     {"t": now})
        conn.execute(text(
            "INSERT INTO accounts (id, number, customer_id, kind, name, currency, status, overdraft_limit, "
            "debits_posted, credits_posted, debits_pending, credits_pending, created_at) VALUES "
            "(:i, :n, :c, :k, :k, :cur, 'open', :o, :dp, :cp, :dpe, :cpe, :t)"),
            [dict(zip(("i", "n", "c", "k", "cur", "o", "dp", "cp", "dpe", "cpe"), r), t=now) for r in rows])
        transfers = [("dep-iqd", 1, 2, iqd_funds, "IQD", "single", "posted"), ("dep-usd", 4, 5, 1234, "USD", "single", "posted"),
                     ("hold-iqd", 2, 3, 250, "IQD", "pending", "pending")]
        conn.execute(text(
            "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind, state, code, "
            "description, channel, fingerprint, created_by, created_at) VALUES "
            "(:id, :d, :c, :a, :cur, :k, :s, 'deposit', '', 'desk', 'f', 'system', :t)"),
            [dict(zip(("id", "d", "c", "a", "cur", "k", "s"), t), t=now) for t in transfers])
        conn.execute(text("INSERT INTO entries (transfer_id, account_id, amount, balance_after, created_at) VALUES "
                          "(:tr, :a, :amt, :bal, :t)"),
                     [{"tr": "dep-iqd", "a": 1, "amt": -iqd_funds, "bal": -iqd_funds, "t": now},
                      {"tr": "dep-iqd", "a": 2, "amt": iqd_funds, "bal": iqd_funds, "t": now},
                      {"tr": "dep-usd", "a": 4, "amt": -1234, "bal": -1234, "t": now},
                      {"tr": "dep-usd", "a": 5, "amt": 1234, "bal": 1234, "t": now}])
        conn.execute(text("INSERT INTO account_holds (transfer_id, account_id, amount, currency, reason, note, "
                          "placed_by, placed_at, expires_at) VALUES ('hold-iqd', 2, 250, 'IQD', 'legal', '', "
                          "'system', :t, :t)"), {"t": now})
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for table in ("customers", "accounts"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)"))


def test_upgrade_rescales_iqd_and_keeps_usd(old_engine):
    _old_bank(old_engine)
    migrate.upgrade(old_engine)
    ledger = Ledger(old_engine)
    iqd = ledger.balance(SYSTEM_ACTOR, "1000000024")
    assert (iqd.current, iqd.pending_debits) == (1_000_000, 250_000)  # 1,000.000 and 250.000 dinars
    assert iqd.to_dict()["current"] == "1000.000"
    assert ledger.balance(SYSTEM_ACTOR, "1000000057").current == 1234  # USD did not move
    with old_engine.connect() as conn:
        assert conn.execute(text("SELECT overdraft_limit FROM accounts WHERE id = 2")).scalar() == 500_000
        assert dict(conn.execute(text("SELECT id, amount FROM transfers")).all()) == {
            "dep-iqd": 1_000_000, "dep-usd": 1234, "hold-iqd": 250_000}
        assert dict(conn.execute(text("SELECT code, exponent FROM currency_exponents")).all()) == {"IQD": 3, "USD": 2}
        assert conn.execute(text("SELECT amount FROM account_holds")).scalar() == 250_000
        audit = conn.execute(text("SELECT action, target, after FROM audit_log")).all()
    assert [(a, t) for a, t, _ in audit] == [("ledger.rescale", "IQD")]
    assert '"factor":1000' in audit[0][2]
    assert verify(old_engine).ok
    # The rescaled account keeps working at ISO's scale: 0.250 dinars more.
    ledger.deposit(SYSTEM_ACTOR, "1000000024", money.to_minor("0.250", "IQD"), "IQD")
    assert ledger.balance(SYSTEM_ACTOR, "1000000024").to_dict()["current"] == "1000.250"
    assert verify(old_engine).ok


def test_a_rescale_past_64_bits_is_refused_and_changes_nothing(old_engine):
    _old_bank(old_engine, iqd_funds=10**16)  # x1000 would pass 9.2e18
    with pytest.raises(Exception) as caught:
        migrate.upgrade(old_engine)
    assert getattr(caught.value, "code", None) == "currency_exponent"
    assert "64-bit" in str(caught.value) and "IQD" in str(caught.value)
    assert migrate.current_revision(old_engine) == BEFORE
    with old_engine.connect() as conn:
        assert conn.execute(text("SELECT credits_posted FROM accounts WHERE id = 2")).scalar() == 10**16
        assert conn.execute(text("SELECT amount FROM entries WHERE account_id = 2")).scalar() == 10**16


def test_a_withdrawn_currency_is_refused_with_what_to_do(old_engine):
    with old_engine.begin() as conn:
        conn.execute(text("INSERT INTO accounts (id, number, kind, name, currency, status, debits_posted, "
                          "credits_posted, debits_pending, credits_pending, created_at) VALUES (1, '9000000019', "
                          "'teller_cash', 'cash', 'DEM', 'open', 0, 0, 0, 0, :t)"),
                     {"t": datetime(2020, 1, 1, tzinfo=timezone.utc if old_engine.dialect.name != "sqlite" else None)})
    with pytest.raises(Exception, match="DEM, which ISO 4217 .* no longer lists"):
        migrate.upgrade(old_engine)
    assert migrate.current_revision(old_engine) == BEFORE


def test_entries_stay_immutable_after_the_rescale(old_engine):
    _old_bank(old_engine)
    migrate.upgrade(old_engine)
    with pytest.raises(Exception, match="immutable"):
        with old_engine.begin() as conn:
            conn.execute(text("UPDATE entries SET amount = amount + 1"))


def test_a_later_exponent_change_is_refused_at_start(engine, monkeypatch):
    ledger = Ledger(engine)
    customer = ledger.add_customer(SYSTEM_ACTOR, "Dinar holder")
    ledger.open_account(SYSTEM_ACTOR, customer.id, "IQD")
    with engine.connect() as conn:
        exponents.check(conn)  # as recorded: fine
    monkeypatch.setitem(money._EXPONENTS, "IQD", 2)  # a future ISO 4217 edition
    with pytest.raises(exponents.ExponentChanged, match="IQD amounts are stored with 3 decimals, but ISO 4217 gives 2"):
        migrate.upgrade(engine)
