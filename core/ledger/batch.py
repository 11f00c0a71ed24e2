"""The batch posting path for settlement and imports: thousands of transfers per round trip.

Every rule of the single path applies (the same ``Posting.apply``); each transfer is accepted or
refused on its own, in order, as if posted one by one. Rows go in with binary COPY on PostgreSQL.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import psycopg
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
    ids = [r.id for _, r in ready] + [r.reverses_id for _, r in ready if r.reverses_id]
    locked, existing = store.lock_and_fetch(conn, sorted(numbers), ids)
    posting = Posting(actor, ledger.clock(), {a.number: a for a in locked}, existing)
    corrections = [r.reverses_id for _, r in ready if r.reverses_id]
    if corrections:
        posting.corrected |= queries.corrected_ids(conn, corrections)
    if conn.dialect.name == "postgresql":
        _apply_and_copy(conn, posting, ready, results)
    else:
        for i, req in ready:
            results[i] = _apply(posting, req)
        store.insert_transfers(conn, posting.transfers)
        store.insert_entries(conn, posting.entries)
    store.save_accounts(conn, posting.touched.values())
    accepted = [r.id for r in results if isinstance(r, TransferResult) and not r.replayed]
    if accepted:
        ledger.record(conn, actor, "transfer.batch", accepted[0], None,
                      {"count": len(accepted), "first": accepted[0], "last": accepted[-1]})
    return results


def _apply(posting: Posting, req: TransferRequest) -> TransferResult | QenexError:
    try:
        return posting.apply(req)
    except QenexError as err:
        return err


def _apply_and_copy(conn: Connection, posting: Posting, ready: list[tuple[int, TransferRequest]],
                    results: list) -> None:
    """Apply the rules block by block here while a writer thread COPYs the previous block's rows.

    The server indexes one block while Python applies the next, instead of waiting for the end of the
    chunk. Only the writer touches the connection until it is joined, all in this transaction.
    """
    writer = _CopyWriter(conn)
    writer.start()
    sent_t = sent_e = 0
    try:
        for start in range(0, len(ready), _BLOCK):
            for i, req in ready[start:start + _BLOCK]:
                results[i] = _apply(posting, req)
            writer.blocks.put((posting.transfers[sent_t:], posting.entries[sent_e:]))
            sent_t, sent_e = len(posting.transfers), len(posting.entries)
            if writer.error is not None:
                break
    finally:
        writer.blocks.put(None)
        writer.join()
    if writer.error is not None:
        raise writer.error


class _CopyWriter(threading.Thread):
    """Binary COPY of each queued block of transfer and entry rows, in order, until it gets None."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(name="qenex-batch-copy", daemon=True)
        self.conn = conn
        self.blocks: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with store.driver_cursor(self.conn) as cur:
                while (block := self.blocks.get()) is not None:
                    _copy(cur, "transfers", _TRANSFER_COLS, _TRANSFER_TYPES, block[0])
                    _copy(cur, "entries", _ENTRY_COLS, _ENTRY_TYPES, block[1])
        except BaseException as exc:  # noqa: BLE001 - handed to the applying thread, which raises it
            self.error = exc


_BLOCK = 1000
_TRANSFER_TYPES = ("text", "int8", "int8", "int8", "text", "text", "text", "text", "text", "timestamptz", "text",
                   "text", "text", "text", "text", "text", "text", "text", "text", "timestamptz")
_ENTRY_TYPES = ("text", "int8", "int8", "int8", "timestamptz")


def _copy(cur: psycopg.Cursor, table: str, cols: tuple[str, ...], types: tuple[str, ...],
          rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    row_of = itemgetter(*cols)
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row_of(row))
