"""The ledger's reads (balances, statements, account lists, a transfer's row, totals), with the reader's
permission and the desk controls checked in core; mixed into ``core.ledger.service.Ledger``."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from core.ledger import desk_controls, queries, store
from core.ledger.errors import TransferNotFound
from core.ledger.posting import check_id
from core.ledger.views import AccountView, Balance, Statement
from core.security.roles import Actor, Permission


class LedgerReads:
    """Reads over ``self.engine`` at ``self.clock()``, each after ``self.authorize`` (the Ledger's)."""

    engine: Engine
    clock: Callable[[], datetime]

    def authorize(self, actor: Actor, permission: Permission, target: str = "") -> None:  # pragma: no cover
        raise NotImplementedError

    def balance(self, actor: Actor, account: str) -> Balance:
        self.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return queries.balance(self.engine, account, self.clock())

    def statement(self, actor: Actor, account: str, limit: int = 100, before_entry_id: int | None = None) -> Statement:
        self.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return queries.statement(self.engine, account, limit, before_entry_id)

    def accounts(self, actor: Actor, offset: int = 0, limit: int = 100, customer_id: int | None = None,
                 search: str | None = None) -> list[AccountView]:
        self.authorize(actor, Permission.LEDGER_VIEW)
        return queries.accounts(self.engine, offset, limit, customer_id, search, self.clock(),
                                desk_controls.hidden_kinds(actor))

    def count_accounts(self, actor: Actor, customer_id: int | None = None, search: str | None = None) -> int:
        self.authorize(actor, Permission.LEDGER_VIEW)
        return queries.count_accounts(self.engine, customer_id, search, desk_controls.hidden_kinds(actor))

    def transfer_row(self, actor: Actor, transfer_id: str) -> dict[str, Any]:
        self.authorize(actor, Permission.LEDGER_VIEW, transfer_id)
        check_id(transfer_id)
        with self.engine.connect() as conn:
            row = store.transfers_by_id(conn, [transfer_id]).get(transfer_id)
        if row is None:
            raise TransferNotFound(f"no transfer {transfer_id}", id=transfer_id)
        return row

    def totals_by_currency(self, actor: Actor) -> dict[str, int]:
        """Sum of all balances per currency: zero in a sound ledger."""
        self.authorize(actor, Permission.LEDGER_VIEW)
        a, totals = store.A, {}
        with self.engine.connect() as conn:  # summed in Python: SQL's 64-bit sum could overflow on the way
            for cur, credits, debits in conn.execute(select(a.c.currency, a.c.credits_posted, a.c.debits_posted)):
                totals[cur] = totals.get(cur, 0) + credits - debits
        return totals
