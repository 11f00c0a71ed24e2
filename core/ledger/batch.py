"""The batch posting path for settlement and imports: thousands of transfers per round trip.

Every rule of the single path applies (the same ``Posting.apply``); each transfer is accepted or
refused on its own, in order, as if posted one by one. Rows go in with binary COPY on PostgreSQL;
the entries stream to the server while the rules are still being applied to later transfers.
"""
from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Connection

from core.errors import QenexError
from core.ledger import events, queries, store
from core.ledger.posting import Posting, normalize
from core.ledger.views import TransferRequest, TransferResult
from core.persistence.driver import driver_cursor
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger

CHUNK = 10_000  # transfers per database transaction
STREAM = 1_000  # transfers whose rules are applied before their entries are handed to the COPY
_TRANSFER_TYPES = ("text", "int8", "int8", "int8", "text", "text", "text", "text", "text", "timestamptz", "text",
                   "text", "text", "text", "text", "text", "text", "text", "text", "timestamptz")
_ENTRY_TYPES = ("text", "int8", "int8", "int8", "timestamptz")
_transfer_tuple = itemgetter(*store.TRANSFER_COLUMNS)


def post_batch(ledger: Ledger, actor: Actor, reqs: Sequence[TransferRequest]) -> list[TransferResult | QenexError]:
    out: list[TransferResult | QenexError] = []
    with _collector_paused():
        for start in range(0, len(reqs), CHUNK):
            out.extend(_post_chunk(ledger, actor, reqs[start:start + CHUNK]))
    return out


def _post_chunk(ledger: Ledger, actor: Actor, reqs: Sequence[TransferRequest]) -> list:
    """One chunk in one transaction, first without looking its ids up (they are expected to be new).

    A reused id either was accepted again, and the transfers' primary key refuses the chunk
    (IntegrityError: ``Ledger.run`` tries again), or was refused by a rule, and the check of the refused
    ids finds it (``_SeenBefore``). Either way nothing is kept and the chunk is redone looking every id
    up, so replays and conflicts come out exactly as on the single path.
    """
    attempts = itertools.count()
    try:
        return ledger.run(lambda conn: _chunk(ledger, conn, actor, reqs, look_up=next(attempts) > 0))
    except _SeenBefore:
        return ledger.run(lambda conn: _chunk(ledger, conn, actor, reqs, look_up=True))


class _SeenBefore(Exception):
    """A transfer refused on the first attempt has an id posted before: its answer is a replay."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a batch: it makes a few objects per transfer, none in cycles,
    and the collector would walk every live object again and again (a fifth of the batch's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunk(ledger: Ledger, conn: Connection, actor: Actor, reqs: Sequence[TransferRequest], *, look_up: bool) -> list:
    results: list[Any] = [None] * len(reqs)
    ready: list[tuple[int, TransferRequest]] = []
    for i, req in enumerate(reqs):
        try:
            ready.append((i, normalize(req, actor)))
        except QenexError as err:
            results[i] = err
    numbers = {n for _, r in ready for n in (r.debit, r.credit)}
    now = ledger.clock()
    locked, _ = store.lock_and_fetch(conn, sorted(numbers), (), now=now)
    # Read after the locks are held: this statement sees every transfer committed on these accounts.
    corrections = [r.reverses_id for _, r in ready if r.reverses_id]
    existing = store.transfers_by_id(conn, ([r.id for _, r in ready] if look_up else []) + corrections)
    posting = Posting(actor, now, {a.number: a for a in locked}, existing)
    if corrections:
        posting.corrected |= queries.corrected_ids(conn, corrections)
    if conn.dialect.name == "postgresql":
        with driver_cursor(conn) as cur:
            with _copy(cur, "entries", store.ENTRY_COLUMNS, _ENTRY_TYPES) as copy:
                for start in range(0, len(ready), STREAM):
                    written = len(posting.entries)
                    _apply(posting, ready[start:start + STREAM], results)
                    for row in posting.entries[written:]:
                        copy.write_row(row)
            with _copy(cur, "transfers", store.TRANSFER_COLUMNS, _TRANSFER_TYPES) as copy:
                for row in posting.transfers:
                    copy.write_row(_transfer_tuple(row))
    else:
        _apply(posting, ready, results)
        store.insert_transfers(conn, posting.transfers)
        store.insert_entries(conn, posting.entries)
    if not look_up:
        refused = [reqs[i].id for i, _ in ready if isinstance(results[i], QenexError)]
        if refused and store.transfers_by_id(conn, refused):
            raise _SeenBefore
    store.save_accounts(conn, posting.touched.values())
    accepted = [r.id for r in results if isinstance(r, TransferResult) and not r.replayed]
    if accepted:
        ledger.record(conn, actor, "transfer.batch", accepted[0], None,
                      {"count": len(accepted), "first": accepted[0], "last": accepted[-1]})
        events.created(conn, actor.username, [r for r in results if isinstance(r, TransferResult)])
    return results


def _apply(posting: Posting, ready: Sequence[tuple[int, TransferRequest]], results: list) -> None:
    for i, req in ready:
        try:
            results[i] = posting.apply(req)
        except QenexError as err:
            results[i] = err


@contextmanager
def _copy(cur: psycopg.Cursor, table: str, cols: tuple[str, ...], types: tuple[str, ...]) -> Iterator[psycopg.Copy]:
    """A binary COPY into ``table``: psycopg packs each row in C, several times faster than text in Python."""
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        yield copy
