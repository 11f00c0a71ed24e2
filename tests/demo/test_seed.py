"""The demo bank: a small one on each backend balances, carries labelled fraud and refuses a used database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.demo.seed import NotEmpty, seed
from core.ledger.service import Ledger
from core.ledger.verify import verify
from core.persistence.models import Transfer
from core.persistence.models.fraud import FraudLabel
from core.security.roles import SYSTEM_ACTOR as S


def test_small_demo_bank_is_consistent(engine):
    ledger = Ledger(engine)
    steps = []
    report = seed(ledger, customers=40, days=14, progress=lambda done, total, msg: steps.append((done, total)))
    assert report.transfers > 500 and report.frauds > 0 and 0 < report.labelled <= report.frauds
    assert steps[-1][0] == steps[-1][1]  # progress reached the end
    assert verify(engine).ok
    assert set(ledger.totals_by_currency(S).values()) == {0}
    with engine.connect() as conn:
        channels = set(conn.execute(select(Transfer.channel).distinct()).scalars())
        assert {"card", "desk", "payment", "online"} <= channels
        assert conn.execute(select(func.count()).select_from(FraudLabel)).scalar_one() == report.labelled
    with pytest.raises(NotEmpty):
        seed(ledger, customers=40, days=14)


def test_the_same_seed_gives_the_same_bank(sqlite_engine, tmp_path):
    from core.persistence import migrate
    from core.persistence.db import make_engine

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate.upgrade(other)
    a = seed(Ledger(sqlite_engine), customers=20, days=10, seed=3)
    b = seed(Ledger(other), customers=20, days=10, seed=3)
    assert a == b
    other.dispose()


def test_the_demo_statements_close_at_the_current_balance(sqlite_engine):
    """The fraud queue's stories (and the salary that funds each) are posted after the history: never dated
    before an entry already on the account, so every statement's closing balance is the current balance and
    entries run in date order (they were back-dated into the history before)."""
    from core.cases.demo import seed_queue
    from core.fraud.screen import FraudScreen
    from core.persistence.models import Account, Entry
    from core.teller.statement import StatementFilter, summary

    from datetime import datetime, timezone

    from core.persistence.models import FraudAlert, Transfer

    ledger = Ledger(sqlite_engine, screen=FraudScreen(sqlite_engine))
    now = datetime(2026, 11, 30, 13, 36, tzinfo=timezone.utc)
    seed(ledger, customers=40, days=14, end=now)
    assert seed_queue(ledger, None, now=now) > 0
    a, e = Account.__table__, Entry.__table__
    al, t = FraudAlert.__table__, Transfer.__table__
    with sqlite_engine.connect() as conn:  # QA 32/35: nothing dated after now; an alert is raised at its payment's time
        assert conn.execute(select(func.max(t.c.created_at))).scalar().replace(tzinfo=timezone.utc) <= now
        assert conn.execute(select(func.max(al.c.closed_at))).scalar().replace(tzinfo=timezone.utc) <= now
        pairs = conn.execute(select(al.c.created_at, t.c.created_at).join(t, t.c.id == al.c.transfer_id)).all()
        assert pairs and all(abs((raised - paid).total_seconds()) < 1 for raised, paid in pairs)
    with sqlite_engine.connect() as conn:
        accounts = conn.execute(select(a.c.id, a.c.number, a.c.credits_posted - a.c.debits_posted)).all()
        for account_id, number, current in accounts:
            assert summary(conn, account_id, StatementFilter()).closing == current, number
            times = list(conn.execute(select(e.c.created_at).where(e.c.account_id == account_id)
                                      .order_by(e.c.id)).scalars())
            assert times == sorted(times), number


def test_demo_customers_are_customers_since_their_first_activity(sqlite_engine):
    """QA2 #22: a customer with 14 days of history is not a customer 'since today' (the seeding moment)."""
    from datetime import datetime, timezone

    from core.cases.profile import profile
    from core.persistence.models import Account, Customer, Entry

    now = datetime(2026, 11, 30, 14, 17, tzinfo=timezone.utc)
    seed(Ledger(sqlite_engine), customers=20, days=14, end=now)
    a, c, e = Account.__table__, Customer.__table__, Entry.__table__
    with sqlite_engine.connect() as conn:
        first = dict(conn.execute(select(a.c.customer_id, func.min(e.c.created_at)).join(e, e.c.account_id == a.c.id)
                                  .where(a.c.customer_id.is_not(None)).group_by(a.c.customer_id)).all())
        assert first
        for customer_id, since in conn.execute(select(c.c.id, c.c.created_at)):
            assert customer_id not in first or since <= first[customer_id], customer_id
            assert since.date() < now.date()
        opened = conn.execute(select(func.max(a.c.created_at)).where(a.c.customer_id.is_not(None))).scalar()
        assert opened <= min(first.values())
        assert (now.replace(tzinfo=None) - profile(conn, next(iter(first))).since.replace(tzinfo=None)).days >= 13
