"""Ledger tables as ORM models: customers, accounts, transfers and their immutable entries.

The tables themselves are defined once, at Core level, in ``core.persistence.ledger_tables`` (the ledger's
queries use them without the ORM); each model maps its table. The annotations name the columns' Python types.

Balances follow one sign convention on every account: balance = credits - debits, so a transfer
"from A to B" debits A and credits B, and per currency all balances sum to zero.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped

from core.persistence import ledger_tables
from core.persistence.base import Base

ledger_tables.sparse_indexes()  # the transfers' partial indexes, with both dialects' options


class Customer(Base):
    """A customer. The know-your-customer fields (migration 0008) are None only on records made by the
    system operator (imports, the demo bank): a desk always records them all (core.teller.customers)."""

    __table__ = ledger_tables.customers

    id: Mapped[int]
    name: Mapped[str]
    country: Mapped[str]
    created_at: Mapped[datetime]
    date_of_birth: Mapped[date | None]
    phone: Mapped[str | None]
    address: Mapped[str | None]
    id_type: Mapped[str | None]
    id_number: Mapped[str | None]


class Account(Base):
    __table__ = ledger_tables.accounts

    id: Mapped[int]
    number: Mapped[str]
    customer_id: Mapped[int | None]
    kind: Mapped[str]
    name: Mapped[str]
    currency: Mapped[str]
    status: Mapped[str]
    overdraft_limit: Mapped[int | None]  # None: no limit (GL accounts). 0: no overdraft. N: down to -N
    debits_posted: Mapped[int]
    credits_posted: Mapped[int]
    debits_pending: Mapped[int]
    credits_pending: Mapped[int]
    created_at: Mapped[datetime]


class Transfer(Base):
    """One movement of money between two accounts; the id is chosen by the caller (idempotency key).

    Transfers and entries carry no foreign keys: only the posting path writes them, right after locking
    the accounts and reading the transfers they refer to, and per-row FK checks cost most of the batch
    path's throughput.
    ``qenex ledger verify`` checks the references and replays every balance instead.
    """

    __table__ = ledger_tables.transfers

    id: Mapped[str]
    debit_account_id: Mapped[int]
    credit_account_id: Mapped[int]
    amount: Mapped[int]
    currency: Mapped[str]
    kind: Mapped[str]
    state: Mapped[str]
    pending_id: Mapped[str | None]
    reverses_id: Mapped[str | None]
    expires_at: Mapped[datetime | None]
    code: Mapped[str]
    description: Mapped[str]
    channel: Mapped[str]
    counterparty: Mapped[str | None]
    counterparty_country: Mapped[str | None]
    device: Mapped[str | None]
    link_id: Mapped[str | None]
    fingerprint: Mapped[str]
    created_by: Mapped[str]
    created_at: Mapped[datetime]


class Entry(Base):
    """An immutable posting: one side of a posted transfer, with the account's balance after it."""

    __table__ = ledger_tables.entries

    id: Mapped[int]
    transfer_id: Mapped[str]
    account_id: Mapped[int]
    amount: Mapped[int]
    balance_after: Mapped[int]
    created_at: Mapped[datetime]


class CurrencyExponent(Base):
    """The ISO 4217 exponent each currency's amounts are stored with, recorded when its first account opens.

    A later version whose ISO 4217 data gives a currency another exponent refuses to start on this
    database (``core.ledger.exponents.check``) instead of reading its amounts at the wrong scale; a
    migration rescales them (as 0005 did for IQD, HUF, COP and others).
    """

    __table__ = ledger_tables.currency_exponents

    code: Mapped[str]
    exponent: Mapped[int]
    recorded_at: Mapped[datetime]
