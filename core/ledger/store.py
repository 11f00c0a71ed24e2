"""SQL for the ledger: lock accounts in one global order, read transfers, write postings in bulk."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, Connection, String, any_, bindparam, insert, select, update

from core.ledger.state import AccountState
from core.persistence.models import Account, Entry, Transfer

A = Account.__table__
T = Transfer.__table__
E = Entry.__table__

_STATE_COLS = (A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.currency, A.c.status, A.c.overdraft_limit,
               A.c.debits_posted, A.c.credits_posted, A.c.debits_pending, A.c.credits_pending)

_SAVE = (
    update(A)
    .where(A.c.id == bindparam("_id"))
    .values(debits_posted=bindparam("_dp"), credits_posted=bindparam("_cp"),
            debits_pending=bindparam("_dpe"), credits_pending=bindparam("_cpe"))
)


def lock_accounts(conn: Connection, *, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> list[AccountState]:
    """Read and lock accounts in ascending id order (the one global lock order: no deadlocks).

    On PostgreSQL this is SELECT ... FOR UPDATE; on SQLite the transaction already holds the write lock.
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
    return [AccountState(*row) for row in conn.execute(query)]


def save_accounts(conn: Connection, states: Iterable[AccountState]) -> None:
    rows = [{"_id": s.id, "_dp": s.debits_posted, "_cp": s.credits_posted,
             "_dpe": s.debits_pending, "_cpe": s.credits_pending} for s in states]
    if rows:
        conn.execute(_SAVE, rows)


def transfers_by_id(conn: Connection, ids: Sequence[str], *, lock: bool = False) -> dict[str, Any]:
    if not ids:
        return {}
    ids = list(ids)
    if conn.dialect.name == "postgresql":  # one array parameter instead of thousands of bind parameters
        query = select(T).where(T.c.id == any_(bindparam("ids", ids, type_=ARRAY(String))))
    else:
        query = select(T).where(T.c.id.in_(ids))
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row.id: dict(row._mapping) for row in conn.execute(query)}


def insert_transfers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(T), rows)


def insert_entries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(E), rows)


def set_transfer_state(conn: Connection, transfer_id: str, state: str) -> None:
    conn.execute(update(T).where(T.c.id == transfer_id).values(state=state))


def account_numbers(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    return {i: n for i, n in conn.execute(select(A.c.id, A.c.number).where(A.c.id.in_(ids)))} if ids else {}


# -- PostgreSQL fast path: one statement to lock and read, one to write (desk latency is round trips) ----
_PG_LOCK_AND_FETCH = """
SELECT 'a', a.id, a.number, a.customer_id, a.kind, a.currency, a.status, a.overdraft_limit, a.debits_posted,
       a.credits_posted, a.debits_pending, a.credits_pending, NULL::jsonb
  FROM (SELECT * FROM accounts WHERE number = ANY(%(numbers)s) ORDER BY id FOR UPDATE) a
UNION ALL
SELECT 't', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, to_jsonb(t)
  FROM transfers t WHERE t.id = ANY(%(ids)s)
"""

_PG_WRITE = """
WITH t AS (
  INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind, state, pending_id,
                         reverses_id, expires_at, code, description, channel, counterparty, counterparty_country,
                         device, link_id, fingerprint, created_by, created_at)
  SELECT * FROM unnest(%(t_id)s::text[], %(t_debit)s::bigint[], %(t_credit)s::bigint[], %(t_amount)s::bigint[],
                       %(t_currency)s::text[], %(t_kind)s::text[], %(t_state)s::text[], %(t_pending)s::text[],
                       %(t_reverses)s::text[], %(t_expires)s::timestamptz[], %(t_code)s::text[],
                       %(t_description)s::text[], %(t_channel)s::text[], %(t_counterparty)s::text[],
                       %(t_country)s::text[], %(t_device)s::text[], %(t_link)s::text[], %(t_fingerprint)s::text[],
                       %(t_by)s::text[], %(t_at)s::timestamptz[])
), e AS (
  INSERT INTO entries (transfer_id, account_id, amount, balance_after, created_at)
  SELECT * FROM unnest(%(e_transfer)s::text[], %(e_account)s::bigint[], %(e_amount)s::bigint[],
                       %(e_balance)s::bigint[], %(e_at)s::timestamptz[])
)
UPDATE accounts a SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dpe, credits_pending = v.cpe
  FROM unnest(%(a_id)s::bigint[], %(a_dp)s::bigint[], %(a_cp)s::bigint[], %(a_dpe)s::bigint[], %(a_cpe)s::bigint[])
       AS v(id, dp, cp, dpe, cpe)
 WHERE a.id = v.id
"""

_T_KEYS = (("t_id", "id"), ("t_debit", "debit_account_id"), ("t_credit", "credit_account_id"),
           ("t_amount", "amount"), ("t_currency", "currency"), ("t_kind", "kind"), ("t_state", "state"),
           ("t_pending", "pending_id"), ("t_reverses", "reverses_id"), ("t_expires", "expires_at"),
           ("t_code", "code"), ("t_description", "description"), ("t_channel", "channel"),
           ("t_counterparty", "counterparty"), ("t_country", "counterparty_country"), ("t_device", "device"),
           ("t_link", "link_id"), ("t_fingerprint", "fingerprint"), ("t_by", "created_by"), ("t_at", "created_at"))
_E_KEYS = (("e_transfer", "transfer_id"), ("e_account", "account_id"), ("e_amount", "amount"),
           ("e_balance", "balance_after"), ("e_at", "created_at"))


def lock_and_fetch(conn: Connection, numbers: Sequence[str], ids: Sequence[str]) -> tuple[list[AccountState], dict]:
    """Lock the accounts (id order) and read the transfers ``ids``: one round trip on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        return lock_accounts(conn, numbers=numbers), transfers_by_id(conn, ids)
    accounts, existing = [], {}
    for row in conn.exec_driver_sql(_PG_LOCK_AND_FETCH, {"numbers": list(numbers), "ids": list(ids)}):
        if row[0] == "a":
            accounts.append(AccountState(*row[1:12]))
        else:
            existing[row[12]["id"]] = _from_json(row[12])
    return accounts, existing


def _from_json(data: dict[str, Any]) -> dict[str, Any]:
    from datetime import datetime

    for key in ("created_at", "expires_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return data


def write_posting(conn: Connection, transfers: list[dict], entries: list[dict], accounts: Iterable[AccountState]) -> None:
    """Insert transfers and entries and save balances: one statement on PostgreSQL."""
    accounts = list(accounts)
    if conn.dialect.name != "postgresql":
        insert_transfers(conn, transfers)
        insert_entries(conn, entries)
        save_accounts(conn, accounts)
        return
    params: dict[str, list] = {p: [t[c] for t in transfers] for p, c in _T_KEYS}
    params.update({p: [e[c] for e in entries] for p, c in _E_KEYS})
    params.update(a_id=[a.id for a in accounts], a_dp=[a.debits_posted for a in accounts],
                  a_cp=[a.credits_posted for a in accounts], a_dpe=[a.debits_pending for a in accounts],
                  a_cpe=[a.credits_pending for a in accounts])
    conn.exec_driver_sql(_PG_WRITE, params)
