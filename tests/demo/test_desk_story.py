"""benchmarks/desk.py posts the demo bank's own story after its history (issue 9: the made-up desk traffic was
held 8-10 % where the story's own desk payments are held 0.16 %)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from benchmarks.desk_story import continued, read_bank
from core.demo.plan import build
from core.demo.seed import seed
from core.ledger.service import Ledger
from core.persistence.models import Account, Transfer


def test_the_story_after_the_history_continues_the_seeded_history_with_its_own_accounts(sqlite_engine):
    seed(Ledger(sqlite_engine), customers=20, days=10)
    bank = read_bank(sqlite_engine, 20, 10)
    # the plan built for more days gives the seeded history first: its card payments, posted with their accounts
    plan = build(20, 40, bank.start + timedelta(days=40, hours=12))
    end = bank.start + timedelta(days=10)
    planned = {(e.at.replace(tzinfo=None), bank.numbers[e.debit], bank.numbers[e.credit], e.amount)
               for e in plan.events if e.at < end and e.channel == "card"}
    t, a = Transfer.__table__.c, Account.__table__.c
    debit = Account.__table__.alias("d")
    with sqlite_engine.connect() as conn:
        posted = {(r[0].replace(tzinfo=None), r[1], r[2], r[3]) for r in conn.execute(
            select(t.created_at, debit.c.number, a.number, t.amount)
            .join(debit, debit.c.id == t.debit_account_id).join(Account.__table__, a.id == t.credit_account_id)
            .where(t.channel == "card"))}
    assert posted and posted <= planned and len(posted) >= 0.95 * len(planned)  # a few refused for funds
    after = continued(bank, 30)
    assert after and all(p.at >= max(end, bank.latest) for p in after)
    assert [p.at for p in after] == sorted(p.at for p in after)
    assert {"card", "desk", "online"} <= {p.channel for p in after}  # purchases, desk transfers and the rent
    assert any(p.fraud for p in after) and {p.credit for p in after} <= set(bank.numbers.values())  # no GL account
