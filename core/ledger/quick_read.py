"""A balance read over the bare database driver (psycopg or sqlite3), for a command that must start fast.

``qenex balance`` is the command a teller or a script runs most; importing SQLAlchemy alone takes about
0.2 s of its start (benchmarks/desk.py measures the whole command, target 0.5 s). This reads the same rows
``core.ledger.queries.balance`` reads, with the same rule (holds past their timeout count as released,
TigerBeetle), straight through the DB-API driver.

It only answers when nothing else is needed: the database is at this version's newest migration and every
stored currency is at the exponent this version reads it with (what ``migrate.upgrade`` checks on every
start). Otherwise, or when the URL is not a plain ``postgresql+psycopg://`` or ``sqlite:///FILE`` one, or the
driver fails in any way, it returns None and the caller takes the engine path, which migrates, checks and
words every error as the rest of the command line does.
"""
from __future__ import annotations

import os
from contextlib import closing
from datetime import datetime, timezone
from typing import Any

from core.ledger import money, numbers
from core.ledger.errors import AccountNotFound
from core.ledger.views import Balance

_ACCOUNT = ("SELECT id, currency, credits_posted, debits_posted, debits_pending, credits_pending "
            "FROM accounts WHERE number = {p}")
_EXPIRED = ("SELECT COALESCE(SUM(CASE WHEN debit_account_id = {p} THEN amount ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN credit_account_id = {p} THEN amount ELSE 0 END), 0) FROM transfers "
            "WHERE state = 'pending' AND expires_at <= {p} AND (debit_account_id = {p} OR credit_account_id = {p})")
# how SQLAlchemy's DateTime stores a (naive UTC, core.persistence.columns.UTCDateTime) time on SQLite
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def balance(url: str, number: str, now: datetime) -> Balance | None:
    """The balance of account ``number`` at ``now`` (aware), or None: take the engine path.

    Raises InvalidAccountNumber for a malformed number and AccountNotFound for an unknown one (as the engine
    path does)."""
    number = numbers.validate(number)
    opened = _connect(url)
    if opened is None:
        return None
    conn, mark, sqlite = opened
    try:
        with closing(conn):
            cur = conn.cursor()
            if not _current(cur, sqlite):
                return None
            cur.execute(_ACCOUNT.format(p=mark), (number,))
            row = cur.fetchone()
            if row is None:
                raise AccountNotFound(f"no account {number}", account=number)
            account_id, currency, credits_posted, debits_posted, debits_pending, credits_pending = row
            expired_debits = expired_credits = 0
            if debits_pending or credits_pending:
                at: Any = now.astimezone(timezone.utc)
                if sqlite:
                    at = at.replace(tzinfo=None).strftime(_SQLITE_TIME)
                cur.execute(_EXPIRED.format(p=mark), (account_id, account_id, at, account_id, account_id))
                expired_debits, expired_credits = (int(v) for v in cur.fetchone())
    except AccountNotFound:
        raise
    except Exception:  # noqa: BLE001 - any driver trouble: the engine path retries it and words the error
        return None
    current = credits_posted - debits_posted
    pending_debits, pending_credits = debits_pending - expired_debits, credits_pending - expired_credits
    return Balance(number, currency, current, current - pending_debits, pending_debits, pending_credits)


def _connect(url: str) -> tuple[Any, str, bool] | None:
    """(connection, parameter mark, is SQLite) for a plain PostgreSQL (psycopg) or SQLite file URL, else None."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    try:
        if scheme in ("postgresql", "postgresql+psycopg"):
            import psycopg

            return psycopg.connect(f"postgresql://{rest}", autocommit=True, connect_timeout=10), "%s", False
        if scheme in ("sqlite", "sqlite+pysqlite") and rest.startswith("/") and "?" not in rest:
            import sqlite3

            path = rest[1:]
            if not path or path == ":memory:" or not os.path.isfile(path):
                return None  # a new database: the engine path creates and migrates it
            from urllib.request import pathname2url

            return sqlite3.connect(f"file:{pathname2url(path)}?mode=ro", uri=True, timeout=30), "?", True
    except Exception:  # noqa: BLE001 - the engine path connects again and words the error
        return None
    return None


def _current(cur: Any, sqlite: bool) -> bool:
    """Whether the database is at this version's newest migration with every currency at its exponent."""
    from core.persistence.migrate import script_head

    head = script_head()
    cur.execute("SELECT version_num FROM alembic_version")
    if head is None or [r[0] for r in cur.fetchall()] != [head]:
        return False
    cur.execute("SELECT code, exponent FROM currency_exponents")
    active = money.active_currencies()
    return all(active.get(code) == exponent for code, exponent in cur.fetchall())
