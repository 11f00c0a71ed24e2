"""The GL accounts payments post through: card clearing, one clearing account per rail, and nostro.

Each is owned by one operation (a card capture or refund, a payment order's creation, settlement or
return) and opened on first use per currency. Numbers never change once made, so they are cached.
"""
from __future__ import annotations

import threading

from sqlalchemy import Connection, select, text

from core.ledger import accounts as account_ops
from core.ledger import money, store
from core.ledger.service import Ledger
from core.security.roles import Actor

A = store.A
CARD = "card_clearing"
NOSTRO = "nostro"
RAIL_KINDS = {"sepa": "sepa_clearing", "ach": "ach_clearing", "wire": "wire_clearing"}
_LOCK_KEY = 7423013  # pg_advisory_xact_lock: two desks opening the same clearing account at once

_cache: dict[tuple[str, str, str], str] = {}
_cache_lock = threading.Lock()


def account_number(ledger: Ledger, actor: Actor, kind: str, currency: str) -> str:
    """The number of the bank's ``kind`` GL account in ``currency``, opened (and audited) on first use."""
    currency = money.currency(currency)
    key = (str(ledger.engine.url), kind, currency)
    with _cache_lock:
        if key in _cache:
            return _cache[key]

    def work(conn: Connection) -> str:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
        found = conn.execute(select(A.c.number).where(A.c.kind == kind, A.c.currency == currency,
                                                      A.c.customer_id.is_(None)).order_by(A.c.id).limit(1)).scalar()
        if found is not None:
            return found
        return account_ops.open_account(ledger, conn, actor, None, currency, None, kind).number

    number = ledger.run(work)
    with _cache_lock:
        _cache[key] = number
    return number
