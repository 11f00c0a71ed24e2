"""Property tests: any sequence of transfers, holds, posts and voids keeps the books balanced."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import QenexError
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models import Account, Entry, Transfer
from core.security.roles import SYSTEM_ACTOR as S

_ids = itertools.count()

ops = st.lists(
    st.one_of(
        st.tuples(st.just("transfer"), st.integers(0, 4), st.integers(0, 4), st.integers(1, 3_000)),
        st.tuples(st.just("hold"), st.integers(0, 4), st.integers(0, 4), st.integers(1, 3_000)),
        st.tuples(st.just("post"), st.integers(0, 20), st.integers(0, 3_000), st.booleans()),
        st.tuples(st.just("void"), st.integers(0, 20), st.just(0), st.just(0)),
    ),
    max_size=25,
)


def _check_invariants(engine) -> None:
    with engine.connect() as conn:
        per_currency = conn.execute(select(Account.currency, func.sum(Account.credits_posted - Account.debits_posted))
                                    .group_by(Account.currency)).all()
        assert all(total == 0 for _, total in per_currency)
        replay = dict(conn.execute(select(Entry.account_id, func.sum(Entry.amount)).group_by(Entry.account_id)).all())
        pend_debit = dict(conn.execute(select(Transfer.debit_account_id, func.sum(Transfer.amount))
                                       .where(Transfer.state == "pending").group_by(Transfer.debit_account_id)).all())
        pend_credit = dict(conn.execute(select(Transfer.credit_account_id, func.sum(Transfer.amount))
                                        .where(Transfer.state == "pending").group_by(Transfer.credit_account_id)).all())
        for acc in conn.execute(select(Account)).all():
            assert acc.credits_posted - acc.debits_posted == replay.get(acc.id, 0)
            assert acc.debits_pending == pend_debit.get(acc.id, 0)
            assert acc.credits_pending == pend_credit.get(acc.id, 0)
            if acc.overdraft_limit is not None:
                assert acc.credits_posted - acc.debits_posted - acc.debits_pending >= -acc.overdraft_limit
        # Every account's last entry carries its balance.
        last = conn.execute(select(Entry.account_id, Entry.balance_after)
                            .where(Entry.id.in_(select(func.max(Entry.id)).group_by(Entry.account_id)))).all()
        for account_id, balance_after in last:
            assert balance_after == replay[account_id]


def _run(ledger: Ledger, program) -> None:
    accounts = []
    for limit in (0, 0, 500, 0, 2_000):
        customer = ledger.add_customer(S, "P")
        number = ledger.open_account(S, customer.id, "USD", overdraft=limit).number
        ledger.deposit(S, number, 2_000, "USD")
        accounts.append(number)
    holds: list[str] = []
    for op, x, y, z in program:
        tid = f"p{next(_ids)}"
        try:
            if op in ("transfer", "hold"):
                ledger.transfer(S, TransferRequest(tid, accounts[x], accounts[y], z, "USD", pending=op == "hold"))
                if op == "hold":
                    holds.append(tid)
            elif holds and op == "post":
                ledger.post_pending(S, holds[x % len(holds)], None if z == 0 or y else z)
            elif holds and op == "void":
                ledger.void_pending(S, holds[x % len(holds)])
        except QenexError:
            pass  # refusals are part of the property: they must leave the books balanced


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=ops)
def test_books_balance_after_any_sequence(engine, program):
    _run(Ledger(engine), program)
    _check_invariants(engine)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=ops)
def test_batch_path_equals_serial_single_path(engine, program):
    """The batch path refuses and accepts exactly what posting one by one does, with equal balances and
    statements (on PostgreSQL: the optimistic desk path against the COPY path)."""
    ledger = Ledger(engine)
    run = next(_ids)
    numbers = []
    for _side in ("single", "batch"):
        accs = []
        for limit in (0, 300, 0):
            number = ledger.open_account(S, ledger.add_customer(S, "Q").id, "USD", overdraft=limit).number
            ledger.deposit(S, number, 1_000, "USD")
            accs.append(number)
        numbers.append(accs)
    transfers = [(i, x % 3, y % 3, z) for i, (op, x, y, z) in enumerate(program) if op == "transfer"]
    outcome_single = []
    for i, x, y, z in transfers:
        try:
            req = TransferRequest(f"s{run}-{i}", numbers[0][x], numbers[0][y], z, "USD")
            outcome_single.append(ledger.transfer(S, req).state)
        except QenexError as err:
            outcome_single.append(err.code)
    reqs = [TransferRequest(f"b{run}-{i}", numbers[1][x], numbers[1][y], z, "USD") for i, x, y, z in transfers]
    outcome_batch = [r.code if isinstance(r, QenexError) else r.state for r in ledger.post_batch(S, reqs)]
    assert outcome_batch == outcome_single
    for a, b in zip(numbers[0], numbers[1]):
        lines_a = ledger.statement(S, a, limit=1_000).lines
        lines_b = ledger.statement(S, b, limit=1_000).lines
        assert [(ln.amount, ln.balance_after) for ln in lines_a] == [(ln.amount, ln.balance_after) for ln in lines_b]
        assert ledger.balance(S, a).current == ledger.balance(S, b).current
