"""The ledger's tables at SQLAlchemy Core level: customers, accounts, transfers, entries, currency exponents.

The ORM models (``core.persistence.models.ledger``) map these same tables; the ledger's own queries use
them directly, so a command that only reads the ledger (``qenex balance``) never loads the ORM or the other
models. Balances follow one sign convention on every account: balance = credits - debits, so a transfer
"from A to B" debits A and credits B, and per currency all balances sum to zero.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, text

from core.persistence.columns import METADATA, BigId, UTCDateTime


def _required(name: str, type_, **kw) -> Column:  # noqa: ANN001
    return Column(name, type_, nullable=False, **kw)


# A customer. The know-your-customer fields (migration 0008) are None only on records made by the system
# operator (imports, the demo bank): a desk always records them all (core.teller.customers).
customers = Table(
    "customers", METADATA,
    Column("id", BigId, primary_key=True),
    _required("name", String(200)),
    _required("country", String(2), default="US"),
    _required("created_at", UTCDateTime),
    Column("date_of_birth", Date),
    Column("phone", String(32)),  # E.164, e.g. +15550100123
    Column("address", String(300)),
    Column("id_type", String(20)),  # passport | national_id | driving_licence | residence_permit
    Column("id_number", String(40)),  # upper case, no spaces
    Index("uq_customers_id_document", "id_type", "id_number", unique=True),
)

accounts = Table(
    "accounts", METADATA,
    Column("id", BigId, primary_key=True),
    _required("number", String(20), unique=True),
    Column("customer_id", ForeignKey("customers.id"), index=True),
    _required("kind", String(20)),
    _required("name", String(200)),
    _required("currency", String(3)),
    _required("status", String(10), default="open"),
    # None: no limit (internal GL accounts). 0: no overdraft. N: balance may go down to -N.
    Column("overdraft_limit", BigInteger),
    _required("debits_posted", BigInteger, default=0),
    _required("credits_posted", BigInteger, default=0),
    _required("debits_pending", BigInteger, default=0),
    _required("credits_pending", BigInteger, default=0),
    _required("created_at", UTCDateTime),
    CheckConstraint("status in ('open','frozen','closed')", name="status"),
    CheckConstraint("overdraft_limit is null or overdraft_limit >= 0", name="overdraft"),
    CheckConstraint("debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0 and credits_pending >= 0",
                    name="totals"),
)

# One movement of money between two accounts; the id is chosen by the caller (idempotency key). Transfers and
# entries carry no foreign keys: only the posting path writes them, right after locking the accounts and
# reading the transfers they refer to, and per-row FK checks cost most of the batch path's throughput.
# ``qenex ledger verify`` checks the references and replays every balance instead.
transfers = Table(
    "transfers", METADATA,
    Column("id", String(64), primary_key=True),
    _required("debit_account_id", BigInteger),
    _required("credit_account_id", BigInteger),
    _required("amount", BigInteger),
    _required("currency", String(3)),
    _required("kind", String(16)),
    _required("state", String(10)),
    Column("pending_id", String(64)),
    Column("reverses_id", String(64)),
    Column("expires_at", UTCDateTime),
    _required("code", String(20), default="transfer"),
    _required("description", String(200), default=""),
    _required("channel", String(16), default="desk"),
    Column("counterparty", String(64)),
    Column("counterparty_country", String(2)),
    Column("device", String(64)),
    Column("link_id", String(64)),
    _required("fingerprint", String(64)),
    _required("created_by", String(64)),
    _required("created_at", UTCDateTime),
    CheckConstraint("amount > 0", name="amount"),
    CheckConstraint("debit_account_id <> credit_account_id", name="accounts"),
    CheckConstraint("kind in ('single','pending','post_pending','void_pending')", name="kind"),
    CheckConstraint("state in ('posted','pending','voided','expired','resolved')", name="state"),
    # and two sparse indexes (``sparse_indexes``)
)

# An immutable posting: one side of a posted transfer, with the account's balance after it.
entries = Table(
    "entries", METADATA,
    Column("id", BigId, primary_key=True),
    _required("transfer_id", String(64)),
    _required("account_id", BigInteger),
    _required("amount", BigInteger),
    _required("balance_after", BigInteger),
    _required("created_at", UTCDateTime),
    Index("ix_entries_account_id_id", "account_id", "id"),
    # statements by period (migration 0008): a date range of one account is one short index range
    Index("ix_entries_account_id_created_at", "account_id", "created_at"),
)

# The ISO 4217 exponent each currency's amounts are stored with, recorded when its first account opens
# (core.ledger.exponents).
currency_exponents = Table(
    "currency_exponents", METADATA,
    Column("code", String(3), primary_key=True),
    _required("exponent", Integer),
    _required("recorded_at", UTCDateTime),
    CheckConstraint("exponent between 0 and 9", name="exponent"),
)


def sparse_indexes() -> None:
    """Add the transfers' sparse indexes: only holds that may expire, and only correcting transfers.

    Called once by ``core.persistence.models.ledger``, so the complete metadata (migrations, ``create_all``)
    has them; they are not made here at import because their PostgreSQL and SQLite options load both SQL
    dialects, which a command that only reads the ledger on one database does not need."""
    if any(ix.name == "ix_transfers_open_holds" for ix in transfers.indexes):
        return
    for name, column, where in (("ix_transfers_open_holds", transfers.c.expires_at, "state = 'pending'"),
                                ("ix_transfers_reverses", transfers.c.reverses_id, "reverses_id IS NOT NULL")):
        Index(name, column, postgresql_where=text(where), sqlite_where=text(where))
