"""SQL for the ledger: lock accounts in one global order, read transfers, write postings in bulk."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from core.ledger.state import AccountState
from core.persistence.ledger_tables import accounts as A
from core.persistence.ledger_tables import entries as E
from core.persistence.ledger_tables import transfers as T

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import psycopg

ENTRY_COLUMNS = ("transfer_id", "account_id", "amount", "balance_after", "created_at")  # an entry row's tuple

_STATE_COLS = (A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.currency, A.c.status, A.c.overdraft_limit,
               A.c.debits_posted, A.c.credits_posted, A.c.debits_pending, A.c.credits_pending)


def driver_cursor(conn: Connection) -> AbstractContextManager[psycopg.Cursor]:
    """``core.persistence.driver.driver_cursor``, imported by the first PostgreSQL call: on SQLite (and for a
    command that only reads) psycopg is never loaded."""
    from core.persistence.driver import driver_cursor as cursor

    return cursor(conn)


_SAVE = (
    update(A)
    .where(A.c.id == bindparam("_id"))
    .values(debits_posted=bindparam("_dp"), credits_posted=bindparam("_cp"),
            debits_pending=bindparam("_dpe"), credits_pending=bindparam("_cpe"))
)


def lock_accounts(conn: Connection, *, numbers: Iterable[str] = (), ids: Iterable[int] = (),
                  now: datetime | None = None) -> list[AccountState]:
    """Read and lock accounts in ascending id order (the one global lock order: no deadlocks).

    On PostgreSQL this is SELECT ... FOR UPDATE; on SQLite the transaction already holds the write lock.
    ``now`` (the posting's time): note the holds past their timeout (``note_expired_holds``).
    """
    numbers, ids = list(numbers), list(ids)
    query = select(*_STATE_COLS).order_by(A.c.id)
    if numbers and ids:
        query = query.where(A.c.number.in_(numbers) | A.c.id.in_(ids))
    elif numbers:
        query = query.where(A.c.number.in_(numbers))
    else:
        query = query.where(A.c.id.in_(ids))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    accounts = [AccountState(*row) for row in conn.execute(query)]
    if now is not None:
        note_expired_holds(conn, accounts, now)
    return accounts


# The pending debits of holds past their timeout, per debit account. Few rows: the console's worker
# releases due holds every minute, and the partial index on open holds' expiry finds them.
_EXPIRED_SQL = """SELECT debit_account_id, sum(amount) FROM transfers
 WHERE state = 'pending' AND expires_at <= %s AND debit_account_id = ANY(%s) GROUP BY debit_account_id"""


def note_expired_holds(conn: Connection, accounts: Iterable[AccountState], now: datetime) -> None:
    """Set ``expired_pending`` on each account: its pending debits whose timeout passed by ``now``.

    The posting rules then treat those holds as released (TigerBeetle's expiry) although nothing has
    released them yet; the expiry job (``Ledger.expire_pending``) does that later. Costs a query only
    when an account has pending debits at all.
    """
    held = {a.id: a for a in accounts if a.debits_pending}
    if not held:
        return
    if conn.dialect.name == "postgresql":
        with driver_cursor(conn) as cur:
            _note_expired(cur, held, now)
        return
    rows = conn.execute(select(T.c.debit_account_id, func.sum(T.c.amount))
                        .where(T.c.state == "pending", T.c.expires_at <= now, T.c.debit_account_id.in_(list(held)))
                        .group_by(T.c.debit_account_id))
    for account_id, total in rows:
        held[account_id].expired_pending = int(total)


def note_expired_holds_on(cur: psycopg.Cursor, accounts: Iterable[AccountState], now: datetime) -> None:
    """``note_expired_holds`` on a PostgreSQL driver cursor."""
    held = {a.id: a for a in accounts if a.debits_pending}
    if held:
        _note_expired(cur, held, now)


def _note_expired(cur: psycopg.Cursor, held: dict[int, AccountState], now: datetime) -> None:
    cur.execute(_EXPIRED_SQL, (now, list(held)))
    for account_id, total in cur.fetchall():
        held[account_id].expired_pending = int(total)


def save_accounts(conn: Connection, states: Iterable[AccountState]) -> None:
    """Write the accounts' totals back: one UPDATE on PostgreSQL."""
    states = list(states)
    if conn.dialect.name == "postgresql":
        if not states:
            return
        if len(states) <= _IN_LIST_MAX:
            sql, params = _write_sql(0, 0, len(states)), _account_params(states)
        else:  # a batch's accounts: five bigint arrays as literals (a 5,000-placeholder VALUES parses slowly)
            sql = _SAVE_MANY
            params = ["{" + ",".join(map(str, column)) + "}" for column in zip(*(
                (a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending) for a in states))]
        with driver_cursor(conn) as cur:
            cur.execute(sql, params)
        return
    rows = [{"_id": s.id, "_dp": s.debits_posted, "_cp": s.credits_posted,
             "_dpe": s.debits_pending, "_cpe": s.credits_pending} for s in states]
    if rows:
        conn.execute(_SAVE, rows)


def transfers_by_id(conn: Connection, ids: Sequence[str], *, lock: bool = False) -> dict[str, Any]:
    """The transfers with these ids, as column dicts; ``lock`` takes their row locks (PostgreSQL)."""
    if not ids:
        return {}
    ids = list(ids)
    if conn.dialect.name != "postgresql":
        return {row.id: dict(row._mapping) for row in conn.execute(select(T).where(T.c.id.in_(ids)))}
    sql = f"SELECT to_jsonb(t) FROM transfers t WHERE {_in('t.id', len(ids))}" + (" FOR UPDATE" if lock else "")
    with driver_cursor(conn) as cur:
        cur.execute(sql, _in_params(ids))
        return {data["id"]: _from_json(data) for (data,) in cur}


def insert_transfers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(T), rows)


def insert_entries(conn: Connection, rows: list[tuple]) -> None:
    """Entry rows given as tuples in ``ENTRY_COLUMNS`` order."""
    if rows:
        conn.execute(insert(E), [dict(zip(ENTRY_COLUMNS, row)) for row in rows])


def set_transfer_state(conn: Connection, transfer_id: str, state: str) -> None:
    conn.execute(update(T).where(T.c.id == transfer_id).values(state=state))


def account_numbers(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    return {i: n for i, n in conn.execute(select(A.c.id, A.c.number).where(A.c.id.in_(ids)))} if ids else {}


# -- PostgreSQL fast path: one statement to lock and read, one to write (desk latency is round trips) ----
# Each value is its own placeholder (an IN list; a VALUES row per transfer, entry and account), so the planner
# knows the row counts and, once psycopg has prepared a statement, PostgreSQL keeps one generic plan for it
# (array or JSON parameters get re-planned on every call, and the UPDATE joined by hash over a scan of all
# accounts). Integers go as int8 so a statement's parameter types, hence its prepared plan, never vary.
# Both run on the driver's cursor: SQLAlchemy's result handling cost a fifth of the desk's client CPU.
TRANSFER_COLUMNS = ("id", "debit_account_id", "credit_account_id", "amount", "currency", "kind", "state",
                    "pending_id", "reverses_id", "expires_at", "code", "description", "channel", "counterparty",
                    "counterparty_country", "device", "link_id", "fingerprint", "created_by", "created_at")
_MAX_VALUES = 200  # transfers per VALUES statement; larger (linked) postings use the generic inserts
_IN_LIST_MAX = 100  # values per IN list or VALUES list of accounts; more go as one array (a batch's)
_SAVE_MANY = """UPDATE accounts a SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dpe,
       credits_pending = v.cpe
  FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, dp, cp, dpe, cpe)
 WHERE a.id = v.id"""


@lru_cache(maxsize=64)
def _lock_sql(n_numbers: int, n_ids: int, lock: bool = True) -> str:
    """Accounts (locked in id order, or unlocked with their ``xmin``) and transfers, in one statement."""
    rows = (f"SELECT *, NULL::bigint AS version FROM accounts WHERE {_in('number', n_numbers)} ORDER BY id FOR UPDATE"
            if lock else
            f"SELECT *, xmin::text::bigint AS version FROM accounts WHERE {_in('number', n_numbers)}")
    sql = f"""SELECT 'a', a.id, a.number, a.customer_id, a.kind, a.currency, a.status, a.overdraft_limit,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, a.version, NULL::jsonb
  FROM ({rows}) a"""
    if n_ids:
        sql += f"""
UNION ALL
SELECT 't', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, to_jsonb(t)
  FROM transfers t WHERE {_in("t.id", n_ids)}"""
    return sql


def _in(column: str, n: int) -> str:
    """``column IN (%s, ...)`` for a desk's few values; one JSON array for a batch's thousands (psycopg
    adapts a list in Python, element by element, ten times slower than ``json.dumps``)."""
    if n <= _IN_LIST_MAX:
        return f"{column} IN ({_marks(n)})"
    return f"{column} IN (SELECT jsonb_array_elements_text(%s::jsonb))"


def _in_params(values: Sequence[str]) -> list:
    return list(values) if len(values) <= _IN_LIST_MAX else [json.dumps(list(values))]


@lru_cache(maxsize=256)
def _write_sql(n_transfers: int, n_entries: int, n_accounts: int, checked: bool = False,
               extra: tuple[str, ...] = (), returning: str | None = None) -> str:
    """Insert transfers and entries, save the accounts' totals; ``checked``: only over unchanged rows.

    A checked write carries each account's ``xmin`` as read; a row changed since (by any writer, at any
    point up to this statement's own update of it) makes ``qenex_stale_account`` raise 40001, undoing it all.
    ``extra``: more CTEs (``name AS (...)``, their parameters after the entries'), written all or nothing with
    the posting.
    """
    ctes = []
    if n_transfers:
        ctes.append(f"t AS (INSERT INTO transfers ({', '.join(TRANSFER_COLUMNS)}) VALUES "
                    f"{', '.join([f'({_marks(len(TRANSFER_COLUMNS))})'] * n_transfers)})")
    if n_entries:
        ctes.append(f"e AS (INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) VALUES "
                    f"{', '.join(['(%s, %s, %s, %s, %s)'] * n_entries)})")
    ctes += extra
    columns = "id, dp, cp, dpe, cpe" + (", x" if checked else "")
    rows = ", ".join([f"({_marks(len(columns.split(',')))})"] * n_accounts)
    debits = "CASE WHEN a.xmin::text::bigint = v.x THEN v.dp ELSE qenex_stale_account(a.id) END" if checked else "v.dp"
    return ("WITH " + ", ".join(ctes) + "\n" if ctes else "") + (
        f"UPDATE accounts a SET debits_posted = {debits}, credits_posted = v.cp, debits_pending = v.dpe, "
        f"credits_pending = v.cpe\n  FROM (VALUES {rows}) AS v({columns}) WHERE a.id = v.id"
        + (f"\nRETURNING {returning}" if returning else ""))


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


def lock_and_fetch(conn: Connection, numbers: Sequence[str], ids: Sequence[str], *,
                   now: datetime | None = None) -> tuple[list[AccountState], dict]:
    """Lock the accounts (id order) and read the transfers ``ids``: one round trip on PostgreSQL.

    ``now``: note the holds past their timeout (``note_expired_holds``; a query only if any are pending).
    """
    if conn.dialect.name != "postgresql" or not numbers:
        return lock_accounts(conn, numbers=numbers, now=now), transfers_by_id(conn, ids)
    with driver_cursor(conn) as cur:
        return lock_and_fetch_on(cur, numbers, ids, now=now)


def lock_and_fetch_on(cur: psycopg.Cursor, numbers: Sequence[str], ids: Sequence[str], *,
                      lock: bool = True, now: datetime | None = None) -> tuple[list[AccountState], dict]:
    """``lock_and_fetch`` on a PostgreSQL driver cursor (``numbers`` not empty).

    ``lock=False`` reads the accounts without locking them, each with its ``version`` for a checked write.
    Autocommit (the optimistic path's read): prepared once per connection (``core.persistence.prepared``).
    """
    from core.persistence import prepared  # psycopg: PostgreSQL only

    accounts, existing = [], {}
    for row in prepared.run(cur, _lock_sql(len(numbers), len(ids), lock), _in_params(numbers) + _in_params(ids)):
        if row[0] == "a":
            accounts.append(AccountState(*row[1:13]))
        else:
            existing[row[13]["id"]] = _from_json(row[13])
    if now is not None:
        note_expired_holds_on(cur, accounts, now)
    return accounts, existing


def _from_json(data: dict[str, Any]) -> dict[str, Any]:
    """A transfer row from ``to_jsonb``: the same dict as a column mapping (timestamps in UTC)."""
    for key in ("created_at", "expires_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key]).astimezone(timezone.utc)
    return data


def write_posting(conn: Connection, transfers: list[dict], entries: list[dict], accounts: Iterable[AccountState]) -> None:
    """Insert transfers and entries and save balances: one statement on PostgreSQL."""
    accounts = list(accounts)
    if conn.dialect.name != "postgresql" or len(transfers) > _MAX_VALUES or not accounts:
        insert_transfers(conn, transfers)
        insert_entries(conn, entries)
        save_accounts(conn, accounts)
        return
    with driver_cursor(conn) as cur:
        write_posting_on(cur, transfers, entries, accounts)


def write_posting_on(cur: psycopg.Cursor, transfers: list[dict], entries: list[dict],
                     accounts: list[AccountState], *, checked: bool = False, extra: tuple[str, ...] = (),
                     extra_params: Sequence[Any] = (), returning: str | None = None) -> list[tuple]:
    """``write_posting`` on a PostgreSQL driver cursor (at most ``_MAX_VALUES`` transfers, some accounts).

    ``checked``: the accounts were read unlocked; the write fails with SQLSTATE 40001, writing nothing,
    if any of them changed since (their ``version``). ``extra``/``extra_params``: more CTEs written with
    the posting (the fraud screen's state and score, the audit entry). ``returning``: an expression the
    statement returns per account row (e.g. a new alert's id from an extra CTE): the rows returned.
    Autocommit: prepared once per connection and run below the cursor (``core.persistence.prepared``).
    """
    from core.persistence import prepared  # psycopg: PostgreSQL only

    params = [t[c] for t in transfers for c in TRANSFER_COLUMNS]
    params += [v for e in entries for v in e]
    params += extra_params
    params += _account_params(accounts, checked)
    return prepared.run(cur, _write_sql(len(transfers), len(entries), len(accounts), checked, tuple(extra),
                                        returning), params)


def _account_params(accounts: list[AccountState], checked: bool = False) -> list[int]:
    params = []
    for a in accounts:
        params += (a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
        if checked:
            params.append(a.version)
    return params
