"""Property tests: whatever cash moves through a drawer and whatever the blind count, closing leaves the
drawer's GL account at zero, the difference equals counted - expected and lands on cash over/short, and
every currency's balances still sum to zero. Due dates of standing instructions are increasing, within
the validity, and on the instruction's weekday or day of month (or the month's last day)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.drawers.limits import DrawerLimits
from core.drawers.service import Drawers
from core.ledger.service import Ledger
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.teller.standing import due_dates

TINA = Actor("tina", Role.TELLER)
SAM = Actor("sam", Role.SUPERVISOR)  # sees the expected cash of an open drawer (a teller counts blind)
SAM = Actor("sam", Role.SUPERVISOR)
DENOMS = (100_00, 20_00, 5_00, 1_00, 25)

moves = st.lists(st.tuples(st.sampled_from(["deposit", "withdraw", "to_drawer", "to_vault"]),
                           st.integers(min_value=1, max_value=500_00)), max_size=8)
counts = st.dictionaries(st.sampled_from(DENOMS), st.integers(min_value=0, max_value=300), max_size=5)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=moves, opening=counts, closing=counts)
def test_close_zeroes_the_drawer_and_conserves_money(sqlite_engine, moves, opening, closing):
    ledger = Ledger(sqlite_engine)
    drawers = Drawers(ledger, DrawerLimits.from_env({"QENEX_DRAWER_VARIANCE_LIMIT": "*=100000000"}))
    cust = ledger.add_customer(SYSTEM_ACTOR, "Prop")
    acc = ledger.open_account(SYSTEM_ACTOR, cust.id, "USD").number
    ledger.deposit(SYSTEM_ACTOR, acc, 10_000_00, "USD")
    for live in drawers.sessions(SAM):  # examples share the database: close what an earlier one left
        drawers.count(SAM, live.id, {})
        drawers.close(SAM, live.id)
    s = drawers.open(TINA, "P1", "USD", opening)
    expected = s.opening_float
    for kind, amount in moves:
        try:
            if kind == "deposit":
                drawers.deposit(TINA, acc, amount, "USD")
            elif kind == "withdraw":
                drawers.withdraw(TINA, acc, amount, "USD")
            else:
                drawers.vault_transfer(TINA, s.id, amount, to_drawer=kind == "to_drawer")
        except Exception as err:  # noqa: BLE001 - a refusal (no cash, no funds) must change nothing
            assert getattr(err, "code", "") in ("insufficient_funds",), err
            continue
        expected += amount if kind in ("deposit", "to_drawer") else -amount
    assert drawers.session(SAM, s.id).cash == expected
    result = drawers.count(TINA, s.id, closing)
    assert result.expected == expected and result.difference == result.counted - expected
    closed = drawers.close(TINA, s.id)
    assert closed.cash == 0
    assert set(ledger.totals_by_currency(SYSTEM_ACTOR).values()) == {0}


@given(frequency=st.sampled_from(["weekly", "monthly"]),
       start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
       span=st.integers(min_value=0, max_value=800), horizon=st.integers(min_value=0, max_value=900))
def test_due_dates_follow_the_instruction(frequency, start, span, horizon):
    until = start + timedelta(days=span)
    dates = due_dates(frequency, start, until, None, start + timedelta(days=horizon), limit=1000)
    assert dates == sorted(set(dates)) and all(start <= d <= until for d in dates)
    assert not dates or dates[0] == start
    for d in dates:
        if frequency == "weekly":
            assert d.weekday() == start.weekday()
        else:
            assert d.day == min(start.day, calendar.monthrange(d.year, d.month)[1])
