"""The batch posting path for settlement and imports: thousands of transfers per round trip.

Every rule of the single path applies (the same ``Posting.apply``); each transfer is accepted or
refused on its own, in order, as if posted one by one. Rows go in with COPY on PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
    for i, req in ready:
        try:
            results[i] = posting.apply(req)
        except QenexError as err:
            results[i] = err
    _write(conn, posting)
    accepted = [r.id for r in results if isinstance(r, TransferResult) and not r.replayed]
    if accepted:
        ledger.record(conn, actor, "transfer.batch", accepted[0], None,
                      {"count": len(accepted), "first": accepted[0], "last": accepted[-1]})
    return results


def _write(conn: Connection, posting: Posting) -> None:
    if conn.dialect.name != "postgresql":
        store.insert_transfers(conn, posting.transfers)
        store.insert_entries(conn, posting.entries)
    else:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            _copy(cur, "transfers", _TRANSFER_COLS, posting.transfers)
            _copy(cur, "entries", _ENTRY_COLS, posting.entries)
    store.save_accounts(conn, posting.touched.values())


def _copy(cur, table: str, cols: tuple[str, ...], rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    """COPY rows in PostgreSQL's text format, formatted here in one pass (much faster than per-value dumpers)."""
    if not rows:
        return
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        buf: list[str] = []
        for row in rows:
            buf.append("\t".join([_text(row[c]) for c in cols]))
            if len(buf) >= 2000:
                copy.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            copy.write("\n".join(buf) + "\n")


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)
