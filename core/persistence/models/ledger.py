"""Ledger tables: customers, accounts, transfers and their immutable entries.

Balances follow one sign convention on every account: balance = credits - debits, so a transfer
"from A to B" debits A and credits B, and per currency all balances sum to zero.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.base import Base, BigId, UTCDateTime


class Customer(Base):
    """A customer. The know-your-customer fields (migration 0008) are None only on records made by the
    system operator (imports, the demo bank): a desk always records them all (core.teller.customers)."""

    __tablename__ = "customers"
    __table_args__ = (Index("uq_customers_id_document", "id_type", "id_number", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="US")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164, e.g. +15550100123
    address: Mapped[str | None] = mapped_column(String(300))
    id_type: Mapped[str | None] = mapped_column(String(20))  # passport | national_id | driving_licence | residence_permit
    id_number: Mapped[str | None] = mapped_column(String(40))  # upper case, no spaces


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("status in ('open','frozen','closed')", name="status"),
        CheckConstraint("overdraft_limit is null or overdraft_limit >= 0", name="overdraft"),
        CheckConstraint("debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0 and credits_pending >= 0", name="totals"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="open")
    # None: no limit (internal GL accounts). 0: no overdraft. N: balance may go down to -N.
    overdraft_limit: Mapped[int | None] = mapped_column(BigInteger)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Transfer(Base):
    """One movement of money between two accounts; the id is chosen by the caller (idempotency key).

    Transfers and entries carry no foreign keys: only the posting path writes them, right after locking
    the accounts and reading the transfers they refer to, and per-row FK checks cost most of the batch
    path's throughput.
    ``qenex ledger verify`` checks the references and replays every balance instead.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("debit_account_id <> credit_account_id", name="accounts"),
        CheckConstraint("kind in ('single','pending','post_pending','void_pending')", name="kind"),
        CheckConstraint("state in ('posted','pending','voided','expired','resolved')", name="state"),
        # Sparse: only holds that may expire, and only correcting transfers.
        Index("ix_transfers_open_holds", "expires_at", postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
        Index("ix_transfers_reverses", "reverses_id", postgresql_where=text("reverses_id IS NOT NULL"),
              sqlite_where=text("reverses_id IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    debit_account_id: Mapped[int] = mapped_column(BigInteger)
    credit_account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10))
    pending_id: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(String(20), default="transfer")
    description: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(16), default="desk")
    counterparty: Mapped[str | None] = mapped_column(String(64))
    counterparty_country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str | None] = mapped_column(String(64))
    link_id: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Entry(Base):
    """An immutable posting: one side of a posted transfer, with the account's balance after it."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_account_id_id", "account_id", "id"),
        # statements by period (migration 0008): a date range of one account is one short index range
        Index("ix_entries_account_id_created_at", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CurrencyExponent(Base):
    """The ISO 4217 exponent each currency's amounts are stored with, recorded when its first account opens.

    A later version whose ISO 4217 data gives a currency another exponent refuses to start on this
    database (``core.ledger.exponents.check``) instead of reading its amounts at the wrong scale; a
    migration rescales them (as 0005 did for IQD, HUF, COP and others).
    """

    __tablename__ = "currency_exponents"
    __table_args__ = (CheckConstraint("exponent between 0 and 9", name="exponent"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    exponent: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
