"""Read-only ledger queries: balances, statements, account lists."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, func, select

from core.ledger import numbers, store
from core.ledger.errors import AccountNotFound
from core.ledger.views import AccountView, Balance, Statement, StatementLine

A, T, E = store.A, store.T, store.E
_VIEW_COLS = (A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.name, A.c.currency, A.c.status,
              A.c.overdraft_limit, (A.c.credits_posted - A.c.debits_posted).label("current"),
              (A.c.credits_posted - A.c.debits_posted - A.c.debits_pending).label("available"))


def _view(row) -> AccountView:  # noqa: ANN001
    return AccountView(*row)


def account_view(conn: Connection, number: str) -> AccountView:
    row = conn.execute(select(*_VIEW_COLS).where(A.c.number == number)).first()
    if row is None:
        raise AccountNotFound(f"no account {number}", account=number)
    return _view(row)


def gl_accounts(conn: Connection, currency: str) -> list[AccountView]:
    query = select(*_VIEW_COLS).where(A.c.customer_id.is_(None), A.c.currency == currency).order_by(A.c.id)
    return [_view(r) for r in conn.execute(query)]


def balance(engine: Engine, number: str) -> Balance:
    number = numbers.validate(number)
    with engine.connect() as conn:
        row = conn.execute(select(A.c.currency, A.c.credits_posted, A.c.debits_posted, A.c.debits_pending,
                                  A.c.credits_pending).where(A.c.number == number)).first()
    if row is None:
        raise AccountNotFound(f"no account {number}", account=number)
    current = row.credits_posted - row.debits_posted
    return Balance(number, row.currency, current, current - row.debits_pending, row.debits_pending,
                   row.credits_pending)


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


def _filtered(query, customer_id: int | None, search: str | None):  # noqa: ANN001, ANN202
    if customer_id is not None:
        query = query.where(A.c.customer_id == customer_id)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(A.c.number.like(like) | A.c.name.ilike(like))
    return query


def accounts(engine: Engine, offset: int, limit: int, customer_id: int | None, search: str | None) -> list[AccountView]:
    # Customer accounts first, then the bank's own (GL) accounts.
    query = (_filtered(select(*_VIEW_COLS), customer_id, search)
             .order_by(A.c.customer_id.is_(None), A.c.id).offset(max(0, offset)))
    with engine.connect() as conn:
        return [_view(r) for r in conn.execute(query.limit(max(1, min(limit, 10_000))))]


def count_accounts(engine: Engine, customer_id: int | None, search: str | None) -> int:
    with engine.connect() as conn:
        return conn.execute(_filtered(select(func.count()).select_from(A), customer_id, search)).scalar_one()


def numbers_for(engine: Engine, ids: Iterable[int]) -> dict[int, str]:
    with engine.connect() as conn:
        return store.account_numbers(conn, ids)


def corrected_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` already have a correcting transfer."""
    return set(conn.execute(select(T.c.reverses_id).where(T.c.reverses_id.in_(ids))).scalars())
