"""Whole-ledger consistency check: balances replay from entries, books balance, references resolve."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from core.ledger import store
from core.words import counted

A, T, E = store.A, store.T, store.E


@dataclass
class LedgerReport:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(engine: Engine) -> LedgerReport:
    """Read-only; run it at a quiet moment (it reads every entry once)."""
    report = LedgerReport()
    with engine.connect() as conn:
        report.accounts = conn.execute(select(func.count()).select_from(A)).scalar_one()
        report.transfers = conn.execute(select(func.count()).select_from(T)).scalar_one()
        report.entries = conn.execute(select(func.count()).select_from(E)).scalar_one()
        replay = dict(conn.execute(select(E.c.account_id, func.sum(E.c.amount)).group_by(E.c.account_id)).all())
        pend_d = dict(conn.execute(select(T.c.debit_account_id, func.sum(T.c.amount)).where(T.c.state == "pending")
                                   .group_by(T.c.debit_account_id)).all())
        pend_c = dict(conn.execute(select(T.c.credit_account_id, func.sum(T.c.amount)).where(T.c.state == "pending")
                                   .group_by(T.c.credit_account_id)).all())
        ids, totals = set(), {}  # per currency in Python: SQL's 64-bit sum could overflow on the way
        for row in conn.execute(select(A.c.id, A.c.number, A.c.currency, A.c.credits_posted, A.c.debits_posted,
                                       A.c.debits_pending, A.c.credits_pending)):
            ids.add(row.id)
            totals[row.currency] = totals.get(row.currency, 0) + row.credits_posted - row.debits_posted
            if row.credits_posted - row.debits_posted != replay.get(row.id, 0):
                report.problems.append(f"account {row.number}: balance {row.credits_posted - row.debits_posted} "
                                       f"but its entries sum to {replay.get(row.id, 0)}")
            if (row.debits_pending, row.credits_pending) != (pend_d.get(row.id, 0), pend_c.get(row.id, 0)):
                report.problems.append(f"account {row.number}: pending totals differ from its pending transfers")
        for cur, total in sorted(totals.items()):
            if total != 0:
                report.problems.append(f"{cur} balances sum to {total} minor units, not zero")
        orphans = set(replay) - ids
        if orphans:
            report.problems.append(f"entries point at {counted(len(orphans), 'missing account')}")
        dangling = conn.execute(select(func.count()).select_from(E).outerjoin(T, T.c.id == E.c.transfer_id)
                                .where(T.c.id.is_(None))).scalar_one()
        if dangling:
            report.problems.append(f"{counted(dangling, 'entry', 'entries')} point at missing transfers")
        refs = T.alias("ref")
        for column, what in ((T.c.pending_id, "pending"), (T.c.reverses_id, "corrected")):
            missing = conn.execute(select(func.count()).select_from(T.outerjoin(refs, refs.c.id == column))
                                   .where(column.is_not(None), refs.c.id.is_(None))).scalar_one()
            if missing:
                report.problems.append(f"{counted(missing, 'transfer')} point at a missing {what} transfer")
        unbalanced = conn.execute(select(func.count()).select_from(
            select(E.c.transfer_id).group_by(E.c.transfer_id).having(func.sum(E.c.amount) != 0).subquery()
        )).scalar_one()
        if unbalanced:
            report.problems.append(f"{counted(unbalanced, 'transfer')} with entries that do not sum to zero")
    return report
