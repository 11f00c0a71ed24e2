"""An account's statement over any length: filtered by date range and amount, sorted, counted and
read a page at a time (the console's lazy table), or streamed whole (CSV export).

Entries are read in date order through the ``(account_id, created_at)`` index (migration 0008): the
newest or oldest page, or a month, of an account with a million entries is one short index range, and
the count one index-only scan
(``benchmarks/statement.py`` measures it). Dates are calendar days in the operator's time zone
(``tz``); ``date_to`` is inclusive. Amount bounds apply to the size of an entry (money in or out).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_

from core.errors import ValidationError
from core.ledger import store
from core.ledger.views import StatementLine

E, T = store.E, store.T
SORTS = {"newest": "newest first", "oldest": "oldest first", "largest": "largest amount first",
         "smallest": "smallest amount first"}
DIRECTIONS = ("any", "in", "out")
MAX_PAGE = 10_000


class InvalidStatementFilter(ValidationError):
    code = "invalid_statement_filter"

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(message, field=field_)
        self.field = field_


@dataclass(frozen=True)
class StatementFilter:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    min_amount: int | None = None  # minor units, size of the entry
    max_amount: int | None = None
    direction: str = "any"  # any | in (credits) | out (debits)
    sort: str = "newest"
    tz: tzinfo = timezone.utc

    def checked(self) -> "StatementFilter":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidStatementFilter("date_from", "the period starts after it ends; swap the dates")
        for key, value in (("min_amount", self.min_amount), ("max_amount", self.max_amount)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidStatementFilter(key, "amount bounds are zero or positive")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise InvalidStatementFilter("min_amount", "the smallest amount is above the largest; swap them")
        if self.direction not in DIRECTIONS:
            raise InvalidStatementFilter("direction", f"direction is one of {', '.join(DIRECTIONS)}")
        if self.sort not in SORTS:
            raise InvalidStatementFilter("sort", f"sort is one of {', '.join(SORTS)}")
        return self

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC for the calendar days in ``tz``."""
        start = end = None
        if self.date_from:
            start = datetime.combine(self.date_from, time(0), self.tz).astimezone(timezone.utc)
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time(0), self.tz).astimezone(timezone.utc)
        return start, end

    def filter_text(self, currency: str, locale: str | None = None) -> str:
        """The amount and direction filter in words ("" when none is on): shown beside the period so a
        summary never reads "all entries" while only some are listed (QA #24)."""
        from core.ledger.money import format_minor

        def fmt(minor: int) -> str:
            return format_minor(minor, currency, locale)

        parts = []
        if self.min_amount is not None and self.max_amount is not None:
            parts.append(f"amounts {fmt(self.min_amount)} to {fmt(self.max_amount)}")
        elif self.min_amount is not None:
            parts.append(f"amounts of {fmt(self.min_amount)} or more")
        elif self.max_amount is not None:
            parts.append(f"amounts up to {fmt(self.max_amount)}")
        if self.direction != "any":
            parts.append("money in only" if self.direction == "in" else "money out only")
        return ", ".join(parts)

    def period_text(self) -> str:
        if not (self.date_from or self.date_to):
            return "all entries"
        return f"{self.date_from or 'first entry'} to {self.date_to or 'today'}"


@dataclass(frozen=True)
class Summary:
    """Balances around the period: ``opening`` before its first entry, ``closing`` after its last."""

    opening: int
    closing: int
    entries: int


def _where(account_id: int, f: StatementFilter) -> list[Any]:
    cond: list[Any] = [E.c.account_id == account_id]
    start, end = f.bounds()
    if start is not None:
        cond.append(E.c.created_at >= start)
    if end is not None:
        cond.append(E.c.created_at < end)
    size = func.abs(E.c.amount)
    if f.min_amount is not None:
        cond.append(size >= f.min_amount)
    if f.max_amount is not None:
        cond.append(size <= f.max_amount)
    if f.direction == "in":
        cond.append(E.c.amount > 0)
    elif f.direction == "out":
        cond.append(E.c.amount < 0)
    return cond


def _order(f: StatementFilter) -> list[Any]:
    size = func.abs(E.c.amount)
    return {"newest": [E.c.created_at.desc(), E.c.id.desc()], "oldest": [E.c.created_at.asc(), E.c.id.asc()],
            "largest": [size.desc(), E.c.id.desc()], "smallest": [size.asc(), E.c.id.asc()]}[f.sort]


def count(conn: Connection, account_id: int, f: StatementFilter) -> int:
    return conn.execute(select(func.count()).select_from(E).where(and_(*_where(account_id, f.checked())))).scalar_one()


def page(conn: Connection, account_id: int, f: StatementFilter, offset: int, limit: int) -> list[StatementLine]:
    """Lines ``offset`` .. ``offset + limit`` in the filter's order."""
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"page with offset >= 0 and 1 <= limit <= {MAX_PAGE}")
    f = f.checked()
    ids = (select(E.c.id).where(and_(*_where(account_id, f))).order_by(*_order(f)).offset(offset).limit(limit)
           .subquery())
    query = (select(E.c.id, E.c.created_at, E.c.transfer_id, T.c.code, T.c.description, E.c.amount,
                    E.c.balance_after)
             .select_from(ids.join(E, E.c.id == ids.c.id).join(T, T.c.id == E.c.transfer_id))
             .order_by(*_order(f)))
    return [StatementLine(*row) for row in conn.execute(query)]


def lines(conn: Connection, account_id: int, f: StatementFilter, chunk: int = 5_000) -> Iterator[StatementLine]:
    """Every line of the filter in its order, read in pages (keyset on the entry id when sorted by date)."""
    f = f.checked()
    if f.sort in ("newest", "oldest"):
        last: tuple | None = None
        while True:
            cond = _where(account_id, f)
            if last is not None:  # keyset on (created_at, id), the order of the (account_id, created_at) index
                key = tuple_(E.c.created_at, E.c.id)
                cond.append(key < last if f.sort == "newest" else key > last)
            query = (select(E.c.id, E.c.created_at, E.c.transfer_id, T.c.code, T.c.description, E.c.amount,
                            E.c.balance_after).join(T, T.c.id == E.c.transfer_id)
                     .where(and_(*cond)).order_by(*_order(f)).limit(chunk))
            rows = [StatementLine(*r) for r in conn.execute(query)]
            yield from rows
            if len(rows) < chunk:
                return
            last = (rows[-1].at, rows[-1].entry_id)
    else:
        offset = 0
        while True:
            rows = page(conn, account_id, f, offset, chunk)
            yield from rows
            if len(rows) < chunk:
                return
            offset += chunk


def summary(conn: Connection, account_id: int, f: StatementFilter, *, with_count: bool = True) -> Summary:
    """Opening and closing balance of the period (amount filters do not change them) and, with
    ``with_count``, how many lines the filter has (-1 without). Each balance is one step down the
    ``(account_id, created_at)`` index: the last entry before the period starts, and before it ends."""
    period = replace(f.checked(), min_amount=None, max_amount=None, direction="any")
    start, end = period.bounds()
    latest = (select(E.c.balance_after).where(E.c.account_id == account_id)
              .order_by(E.c.created_at.desc(), E.c.id.desc()).limit(1))
    opening = 0
    if start is not None:
        opening = conn.execute(latest.where(E.c.created_at < start)).scalar() or 0
    closing = conn.execute(latest if end is None else latest.where(E.c.created_at < end)).scalar()
    return Summary(opening, opening if closing is None else closing, count(conn, account_id, f) if with_count else -1)
