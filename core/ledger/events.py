"""What the ledger tells other desks (core.events), inside the posting transaction.

``transaction.created``: a transfer was recorded, posted or pending (payload: id, state, amount,
currency, by, accounts). ``transaction.completed``: a pending transfer was posted, voided or expired
(payload: id, pending_id, state, accounts). ``account.updated``: an account's status changed.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from core.events import (
    ACCOUNT_UPDATED, TRANSACTION_COMPLETED, TRANSACTION_CREATED, Event, account_list, bus_for, publish,
)
from core.ledger.money import figure
from core.ledger.views import TransferResult

log = logging.getLogger(__name__)
MAX_IDS = 50  # transfer ids listed in one event (a linked chain or a batch lists its first ones and a count)


def created(conn: Connection, by: str, results: Sequence[TransferResult]) -> None:
    """One ``transaction.created`` for the new transfers among ``results`` (replays are not news)."""
    payload = _created_payload(by, results)
    if payload is not None:
        publish(conn, TRANSACTION_CREATED, payload)


def created_committed(engine: Engine, cur: Any, by: str, result: TransferResult) -> None:
    """``created`` for the optimistic desk path, after its autocommit write (``cur``: its psycopg cursor).

    Only when a desk's event bus exists in this process: a bare ledger (benchmarks) sends nothing.
    """
    bus = bus_for(engine)
    payload = _created_payload(by, [result])
    if bus is None or payload is None:
        return
    try:
        bus.announce(Event.new(TRANSACTION_CREATED, payload), pg_cursor=cur)
    except Exception:  # noqa: BLE001 - the transfer is committed; a lost notice must not look like a failure
        log.warning("transfer %s posted, but its live update was not sent", result.id, exc_info=True)


def _created_payload(by: str, results: Sequence[TransferResult]) -> dict[str, Any] | None:
    fresh = [r for r in results if not r.replayed]
    if not fresh:
        return None
    first = fresh[0]
    payload: dict[str, Any] = {"id": first.id, "state": first.state, "by": by,
                               **account_list([n for r in fresh for n in (r.debit, r.credit)])}
    if len(fresh) == 1:
        payload.update(figure(first.amount, first.currency))
    else:
        payload.update(count=len(fresh), ids=[r.id for r in fresh[:MAX_IDS]])
    return payload


def completed(conn: Connection, transfer_id: str, pending_id: str, state: str, accounts: Sequence[str]) -> None:
    publish(conn, TRANSACTION_COMPLETED, {"id": transfer_id, "pending_id": pending_id, "state": state,
                                          **account_list(accounts)})


def account_changed(conn: Connection, number: str, status: str) -> None:
    publish(conn, ACCOUNT_UPDATED, {"status": status, **account_list([number])})
