"""The batch posting path for settlement and imports: thousands of transfers per round trip.

Every rule of the single path applies (the same ``Posting.apply``); each transfer is accepted or
refused on its own, in order, as if posted one by one. Rows go in with binary COPY on PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from core.errors import QenexError
from core.ledger import queries, store
from core.ledger.posting import Posting, normalize
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger

CHUNK = 10_000
_TRANSFER_COLS = ("id", "debit_account_id", "credit_account_id", "amount", "currency", "kind", "state", "pending_id",
                  "reverses_id", "expires_at", "code", "description", "channel", "counterparty",
                  "counterparty_country", "device", "link_id", "fingerprint", "created_by", "created_at")
_ENTRY_COLS = ("transfer_id", "account_id", "amount", "balance_after", "created_at")


def post_batch(ledger: Ledger, actor: Actor, reqs: Sequence[TransferRequest]) -> list[TransferResult | QenexError]:
    out: list[TransferResult | QenexError] = []
    for start in range(0, len(reqs), CHUNK):
        out.extend(ledger.run(lambda conn, chunk=reqs[start:start + CHUNK]: _chunk(ledger, conn, actor, chunk)))
    return out


def _chunk(ledger: Ledger, conn: Connection, actor: Actor, reqs: Sequence[TransferRequest]) -> list:
    results: list[Any] = [None] * len(reqs)
    ready: list[tuple[int, TransferRequest]] = []
    for i, req in enumerate(reqs):
        try:
            ready.append((i, normalize(req, actor)))
        except QenexError as err:
            results[i] = err
    numbers = {n for _, r in ready for n in (r.debit, r.credit)}
    accounts = {a.number: a for a in store.lock_accounts(conn, numbers=sorted(numbers))}
    ids = [r.id for _, r in ready] + [r.reverses_id for _, r in ready if r.reverses_id]
    posting = Posting(actor, ledger.clock(), accounts, store.transfers_by_id(conn, ids))
    corrections = [r.reverses_id for _, r in ready if r.reverses_id]
    if corrections:
        posting.corrected |= queries.corrected_ids(conn, corrections)
    if conn.dialect.name == "postgresql":
        # Transfers stream to the server while the rules run, so it indexes them as Python goes on.
        with _copy(conn, "transfers", _TRANSFER_COLS, _TRANSFER_TYPES) as put:
            _apply_all(posting, ready, results, lambda: put(posting.transfers))
        with _copy(conn, "entries", _ENTRY_COLS, _ENTRY_TYPES) as put:
            put(posting.entries)
    else:
        _apply_all(posting, ready, results, lambda: None)
        store.insert_transfers(conn, posting.transfers)
        store.insert_entries(conn, posting.entries)
    store.save_accounts(conn, posting.touched.values())
    accepted = [r.id for r in results if isinstance(r, TransferResult) and not r.replayed]
    if accepted:
        ledger.record(conn, actor, "transfer.batch", accepted[0], None,
                      {"count": len(accepted), "first": accepted[0], "last": accepted[-1]})
    return results


def _apply_all(posting: Posting, ready: list[tuple[int, TransferRequest]], results: list,
               flush: Callable[[], None]) -> None:
    """Apply each request in order (refusals become results); ``flush`` every so often to stream new rows."""
    for n, (i, req) in enumerate(ready, 1):
        try:
            results[i] = posting.apply(req)
        except QenexError as err:
            results[i] = err
        if n % _STREAM_EVERY == 0:
            flush()
    flush()


_STREAM_EVERY = 500
_TRANSFER_TYPES = ("text", "int8", "int8", "int8", "text", "text", "text", "text", "text", "timestamptz", "text",
                   "text", "text", "text", "text", "text", "text", "text", "text", "timestamptz")
_ENTRY_TYPES = ("text", "int8", "int8", "int8", "timestamptz")


@contextmanager
def _copy(conn: Connection, table: str, cols: tuple[str, ...], types: tuple[str, ...]) -> Iterator[Callable]:
    """Binary COPY into ``table``; yields ``put(rows)``, which sends the rows of the list not sent yet."""
    row_of = itemgetter(*cols)
    sent = 0

    def put(rows: list[dict[str, Any]]) -> None:
        nonlocal sent
        for row in rows[sent:]:
            copy.write_row(row_of(row))
        sent = len(rows)

    with conn.connection.driver_connection.cursor() as cur, \
            cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        yield put
