"""teller: know-your-customer fields, customer search indexes, account holds, receipt prints

Revision ID: 0008
Revises: 0012

Customer search uses each database's own text search: on PostgreSQL a ``pg_trgm`` GIN trigram index on
the name (serving ``ILIKE '%…%'``) and a btree on the reversed phone number (its last digits); on SQLite
FTS5 with the trigram tokenizer (an external-content table kept in step by triggers). A PostgreSQL
extension lives in ONE schema per database, while tests (and some deployments) put the bank's tables in
another schema on the search path: the extension is created in ``public`` if missing, and its operator
class is named with the schema it really lives in. Without the right to create the extension, the name
index is skipped and the same ``ILIKE`` queries scan instead (slower, same results).
"""
from alembic import op
import sqlalchemy as sa

import core.persistence.base

revision = "0008"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = core.persistence.base.UTCDateTime(timezone=True)

_FTS_TRIGGERS = (
    """CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
         INSERT INTO customer_fts(rowid, name, phone) VALUES (new.id, new.name, new.phone); END""",
    """CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
         INSERT INTO customer_fts(customer_fts, rowid, name, phone) VALUES ('delete', old.id, old.name, old.phone); END""",
    """CREATE TRIGGER customers_fts_au AFTER UPDATE OF name, phone ON customers BEGIN
         INSERT INTO customer_fts(customer_fts, rowid, name, phone) VALUES ('delete', old.id, old.name, old.phone);
         INSERT INTO customer_fts(rowid, name, phone) VALUES (new.id, new.name, new.phone); END""",
)


def trigram_schema(bind) -> str | None:  # noqa: ANN001
    """The schema pg_trgm is installed in (created in ``public`` if missing), or None if it cannot be."""
    row = bind.exec_driver_sql("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").first()
    if row is not None:
        return row[0]
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError:
        return None  # no right to create it: search falls back to plain matching
    return "public"


def upgrade() -> None:
    for column in (sa.Column("date_of_birth", sa.Date(), nullable=True),
                   sa.Column("phone", sa.String(32), nullable=True),
                   sa.Column("address", sa.String(300), nullable=True),
                   sa.Column("id_type", sa.String(20), nullable=True),
                   sa.Column("id_number", sa.String(40), nullable=True)):
        op.add_column("customers", column)
    op.create_index("uq_customers_id_document", "customers", ["id_type", "id_number"], unique=True)

    op.create_table(
        "account_holds",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", UTC, nullable=True),
        sa.Column("release_note", sa.String(200), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_account_holds_amount")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_holds")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_account_holds_transfer_id")),
    )
    op.create_index("ix_account_holds_account_id_id", "account_holds", ["account_id", "id"])
    # Statements by period: without it a month of an account with a million entries read every entry.
    op.create_index("ix_entries_account_id_created_at", "entries", ["account_id", "created_at"])
    op.create_table(
        "receipt_prints",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("copy", sa.Integer(), nullable=False),
        sa.Column("printed_by", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("printed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_prints")),
        sa.UniqueConstraint("transfer_id", "copy", name=op.f("uq_receipt_prints_copy")),
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = trigram_schema(bind)
        if schema is not None:
            op.execute(f'CREATE INDEX ix_customers_name_trgm ON customers USING gin (name "{schema}".gin_trgm_ops)')
        # the last digits of a phone number are what a teller types: a prefix search on the reversed number
        op.execute("CREATE INDEX ix_customers_phone_reversed ON customers (reverse(phone) text_pattern_ops)")
    elif bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE customer_fts USING fts5(name, phone, content='customers', "
                   "content_rowid='id', tokenize='trigram')")
        for trigger in _FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO customer_fts(customer_fts) VALUES ('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("customers_fts_ai", "customers_fts_ad", "customers_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS customer_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_customers_phone_reversed")
    op.drop_index("ix_entries_account_id_created_at", table_name="entries")
    op.drop_table("receipt_prints")
    op.drop_index("ix_account_holds_account_id_id", table_name="account_holds")
    op.drop_table("account_holds")
    op.drop_index("uq_customers_id_document", table_name="customers")
    for column in ("id_number", "id_type", "address", "phone", "date_of_birth"):
        with op.batch_alter_table("customers") as batch:
            batch.drop_column(column)
