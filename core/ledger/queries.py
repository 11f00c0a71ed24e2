"""Read-only ledger queries: balances, statements, account lists."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, case, func, select

from core.ledger import numbers, store
from core.ledger.errors import AccountNotFound
from core.ledger.views import AccountView, Balance, Statement, StatementLine
from core.persistence.columns import utcnow

A, T, E = store.A, store.T, store.E


def _expired_sum(side, now: datetime):  # noqa: ANN001, ANN202
    """Sum of the account's pending ``side`` (debit or credit) amounts of holds past their timeout at ``now``."""
    return (select(func.coalesce(func.sum(T.c.amount), 0))
            .where(side == A.c.id, T.c.state == "pending", T.c.expires_at <= now).scalar_subquery())


def _view_cols(now: datetime) -> tuple:
    """An account row's columns for ``_view``; available = current - holds still live at ``now`` (expired ones
    are released). The totals themselves: balances are computed in Python, since a difference of two 64-bit
    totals may pass the 64-bit range in SQL (PostgreSQL raises, SQLite turns it into a float)."""
    expired = case((A.c.debits_pending > 0, _expired_sum(T.c.debit_account_id, now)), else_=0)
    return (A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.name, A.c.currency, A.c.status,
            A.c.overdraft_limit, A.c.credits_posted, A.c.debits_posted, A.c.debits_pending, expired.label("expired"))


def _view(row) -> AccountView:  # noqa: ANN001
    *head, credits, debits, pending, expired = row
    return AccountView(*head, credits - debits, credits - debits - pending + int(expired))


def account_view(conn: Connection, number: str, now: datetime | None = None) -> AccountView:
    row = conn.execute(select(*_view_cols(now or utcnow())).where(A.c.number == number)).first()
    if row is None:
        raise AccountNotFound(f"no account {number}", account=number)
    return _view(row)


def gl_accounts(conn: Connection, currency: str) -> list[AccountView]:
    query = select(*_view_cols(utcnow())).where(A.c.customer_id.is_(None), A.c.currency == currency).order_by(A.c.id)
    return [_view(r) for r in conn.execute(query)]


def balance(engine: Engine, number: str, now: datetime | None = None) -> Balance:
    """Current and available balance; holds past their timeout at ``now`` count as released (TigerBeetle)."""
    number = numbers.validate(number)
    now = now or utcnow()
    with engine.connect() as conn:
        row = conn.execute(select(A.c.id, A.c.currency, A.c.credits_posted, A.c.debits_posted, A.c.debits_pending,
                                  A.c.credits_pending).where(A.c.number == number)).first()
        if row is None:
            raise AccountNotFound(f"no account {number}", account=number)
        expired_debits = expired_credits = 0
        if row.debits_pending or row.credits_pending:
            due = and_(T.c.state == "pending", T.c.expires_at <= now)
            expired_debits, expired_credits = conn.execute(select(
                func.coalesce(func.sum(case((T.c.debit_account_id == row.id, T.c.amount), else_=0)), 0),
                func.coalesce(func.sum(case((T.c.credit_account_id == row.id, T.c.amount), else_=0)), 0),
            ).where(due, (T.c.debit_account_id == row.id) | (T.c.credit_account_id == row.id))).one()
    current = row.credits_posted - row.debits_posted
    pending_debits, pending_credits = row.debits_pending - expired_debits, row.credits_pending - expired_credits
    return Balance(number, row.currency, current, current - pending_debits, pending_debits, pending_credits)


def statement(engine: Engine, number: str, limit: int, before_entry_id: int | None) -> Statement:
    """Newest entries first, each with the account's running balance after it."""
    number = numbers.validate(number)
    with engine.connect() as conn:
        acc = account_view(conn, number)
        query = (select(E.c.id, E.c.created_at, E.c.transfer_id, T.c.code, T.c.description, E.c.amount,
                        E.c.balance_after)
                 .join(T, T.c.id == E.c.transfer_id)
                 .where(E.c.account_id == acc.id).order_by(E.c.id.desc()).limit(max(1, min(limit, 10_000))))
        if before_entry_id is not None:
            query = query.where(E.c.id < before_entry_id)
        lines = [StatementLine(*r) for r in conn.execute(query)]
    return Statement(number, acc.currency, lines)


def _filtered(query, customer_id: int | None, search: str | None, hide_kinds: tuple[str, ...] = ()):  # noqa: ANN001, ANN202
    if hide_kinds:
        query = query.where(A.c.kind.notin_(hide_kinds))
    if customer_id is not None:
        query = query.where(A.c.customer_id == customer_id)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(A.c.number.like(like) | A.c.name.ilike(like))
    return query


def accounts(engine: Engine, offset: int, limit: int, customer_id: int | None, search: str | None,
             now: datetime | None = None, hide_kinds: tuple[str, ...] = ()) -> list[AccountView]:
    # Customer accounts first, then the bank's own (GL) accounts.
    query = (_filtered(select(*_view_cols(now or utcnow())), customer_id, search, hide_kinds)
             .order_by(A.c.customer_id.is_(None), A.c.id).offset(max(0, offset)))
    with engine.connect() as conn:
        return [_view(r) for r in conn.execute(query.limit(max(1, min(limit, 10_000))))]


def count_accounts(engine: Engine, customer_id: int | None, search: str | None,
                   hide_kinds: tuple[str, ...] = ()) -> int:
    with engine.connect() as conn:
        return conn.execute(_filtered(select(func.count()).select_from(A), customer_id, search,
                                      hide_kinds)).scalar_one()


def numbers_for(engine: Engine, ids: Iterable[int]) -> dict[int, str]:
    with engine.connect() as conn:
        return store.account_numbers(conn, ids)


def corrected_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` already have a correcting transfer."""
    return set(conn.execute(select(T.c.reverses_id).where(  # a voided or expired correction corrected nothing
        T.c.reverses_id.in_(ids), T.c.state.notin_(("voided", "expired")))).scalars())
