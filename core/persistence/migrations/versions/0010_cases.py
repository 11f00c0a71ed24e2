"""fraud case work: the alert queue's columns, claims, SLA, dispositions; cases, timeline, files, suppressions

Revision ID: 0010
Revises: 0005

Alerts get the queue's columns copied from the transfer, account and customer (one indexed table for a
queue of millions), a claim with a lease, an SLA due time by score band, escalation, an outcome and the
case they belong to. Old statuses map over: investigating → open, fraud → closed TRUE_POSITIVE, legit →
closed FALSE_POSITIVE.
"""
import json
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import core.persistence.base

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# name, min_score, minutes (core.cases.sla.DEFAULT_BANDS)
_BANDS = (("high", 0.8, 60), ("medium", 0.65, 240), ("low", 0.0, 1440))
_NEW_ALERT_COLUMNS = (
    ("source", sa.String(10)), ("rule", sa.String(32)), ("rules", sa.Text()), ("customer_id", sa.BigInteger()),
    ("customer_name", sa.String(200)), ("account", sa.String(20)), ("beneficiary", sa.String(64)),
    ("amount", sa.BigInteger()), ("amount_scaled", sa.BigInteger()), ("currency", sa.String(3)),
    ("channel", sa.String(16)), ("counterparty", sa.String(64)), ("device", sa.String(64)), ("band", sa.String(16)),
    ("due_at", None), ("assignee", sa.String(64)), ("claimed_at", None), ("lease_until", None),
    ("snoozed_until", None), ("escalation", sa.String(10)), ("escalated_at", None), ("outcome", sa.String(16)),
    ("resolution", sa.String(16)), ("closed_at", None), ("closed_by", sa.String(64)), ("case_id", sa.BigInteger()),
)
_ACTIVE = "status <> 'closed'"
_PARTIAL = (  # the active queue's orders (core.cases.queue.SORTS); closed alerts cost them nothing
    ("ix_fraud_alerts_active_due", ["due_at", sa.text("score DESC"), "id"]),
    ("ix_fraud_alerts_active_created", ["created_at", "id"]), ("ix_fraud_alerts_active_score", ["score", "id"]),
    ("ix_fraud_alerts_active_amount", ["amount_scaled", "id"]),
)
_ALERT_INDEXES = (
    ("ix_fraud_alerts_assignee", ["assignee"]),
    ("ix_fraud_alerts_customer", ["customer_id", "created_at"]), ("ix_fraud_alerts_case", ["case_id"]),
    ("ix_fraud_alerts_updated", ["updated_at"]), ("ix_fraud_alerts_closed", ["closed_at"]),
)


def _utc():
    return core.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("fraud_alerts") as batch:
        batch.drop_constraint(op.f("ck_fraud_alerts_status"), type_="check")
        for name, type_ in _NEW_ALERT_COLUMNS:
            batch.add_column(sa.Column(name, type_ if type_ is not None else _utc(), nullable=True))
    _backfill_alerts()
    with op.batch_alter_table("fraud_alerts") as batch:
        for name in ("source", "rules", "band"):
            batch.alter_column(name, existing_type=dict(_NEW_ALERT_COLUMNS)[name], nullable=False)
        batch.alter_column("due_at", existing_type=_utc(), nullable=False)
        batch.create_check_constraint("status", "status in ('open','escalated','closed')")
        batch.create_check_constraint(
            "outcome", "outcome is null or outcome in ('TRUE_POSITIVE','FALSE_POSITIVE','INCONCLUSIVE')")
        batch.create_check_constraint("claim", "(assignee is null) = (lease_until is null)")
        batch.create_check_constraint("closed_unclaimed", "status <> 'closed' or assignee is null")
        for name, columns in _ALERT_INDEXES:
            batch.create_index(name, columns, unique=False)
    for name, columns in _PARTIAL:
        op.create_index(name, "fraud_alerts", columns, postgresql_where=sa.text(_ACTIVE),
                        sqlite_where=sa.text(_ACTIVE))

    op.create_table(
        "fraud_cases",
        sa.Column("id", _ID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("merged_into", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("status in ('open','investigating','resolved','merged')", name=op.f("ck_fraud_cases_status")),
        sa.CheckConstraint("outcome is null or outcome in ('TRUE_POSITIVE','FALSE_POSITIVE','INCONCLUSIVE')",
                           name=op.f("ck_fraud_cases_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_cases")),
    )
    op.create_index("ix_fraud_cases_status_updated", "fraud_cases", ["status", "updated_at"])
    op.create_table(
        "fraud_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_events")),
    )
    op.create_index("ix_fraud_events_alert", "fraud_events", ["alert_id", "id"])
    op.create_index("ix_fraud_events_case", "fraud_events", ["case_id", "id"])
    op.create_index("ix_fraud_events_kind_at", "fraud_events", ["kind", "at"])
    op.create_table(
        "fraud_case_files",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_fraud_case_files_size")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_case_files")),
    )
    op.create_index("ix_fraud_case_files_case", "fraud_case_files", ["case_id"])
    op.create_table(
        "fraud_suppressions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("until", _utc(), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.CheckConstraint("scope in ('card','counterparty')", name=op.f("ck_fraud_suppressions_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_suppressions")),
    )
    op.create_index("ix_fraud_suppressions_key", "fraud_suppressions", ["scope", "key", "until"])
    op.create_table(
        "fraud_alert_links",
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "alert_id", name=op.f("pk_fraud_alert_links")),
    )
    bands = op.create_table(
        "fraud_sla_bands",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_fraud_sla_bands_minutes")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fraud_sla_bands")),
    )
    op.bulk_insert(bands, [{"name": n, "min_score": s, "minutes": m} for n, s, m in _BANDS])
    op.create_table(
        "customer_activity",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_activity")),
    )
    op.create_index("ix_customer_activity_customer_at", "customer_activity", ["customer_id", "at"])


def _backfill_alerts() -> None:
    """Copy the queue's columns onto alerts raised before this migration (few: done row by row)."""
    from iso4217 import Currency

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT a.id, a.score, a.status, a.created_at, a.updated_at, a.updated_by, t.amount, t.currency, "
        "t.channel, t.counterparty, t.device, d.number, d.customer_id, c.name, k.number "
        "FROM fraud_alerts a LEFT JOIN transfers t ON t.id = a.transfer_id "
        "LEFT JOIN accounts d ON d.id = t.debit_account_id LEFT JOIN accounts k ON k.id = t.credit_account_id "
        "LEFT JOIN customers c ON c.id = d.customer_id").columns(created_at=_utc(), updated_at=_utc())).all()
    update = sa.text(
        "UPDATE fraud_alerts SET source=:source, rules=:rules, band=:band, due_at=:due_at, "
        "customer_id=:customer_id, customer_name=:customer_name, account=:account, beneficiary=:beneficiary, "
        "amount=:amount, amount_scaled=:amount_scaled, currency=:currency, channel=:channel, "
        "counterparty=:counterparty, device=:device, status=:status, outcome=:outcome, resolution=:resolution, "
        "closed_at=:closed_at, closed_by=:closed_by WHERE id=:id").bindparams(
        sa.bindparam("due_at", type_=_utc()), sa.bindparam("closed_at", type_=_utc()))
    for (alert_id, score, status, created, updated, updated_by, amount, currency, channel, counterparty, device,
         account, customer_id, name, beneficiary) in rows:
        band, minutes = next((n, m) for n, s, m in _BANDS if score >= s)
        scaled = None
        if amount is not None and currency:
            try:
                exponent = Currency(currency.upper()).exponent or 0
            except ValueError:
                exponent = 2
            scaled = amount * 10 ** (4 - exponent) if exponent <= 4 else amount // 10 ** (exponent - 4)
        values = {"source": "screen", "rules": json.dumps([]), "band": band,
                  "due_at": created + timedelta(minutes=minutes),
                  "customer_id": customer_id, "customer_name": name, "account": account,
                  "beneficiary": beneficiary, "amount": amount, "amount_scaled": scaled, "currency": currency,
                  "channel": channel, "counterparty": counterparty, "device": device, "id": alert_id}
        closed = {"fraud": "TRUE_POSITIVE", "legit": "FALSE_POSITIVE"}.get(status)
        values["status"] = "closed" if closed or status == "closed" else "open"
        values["outcome"] = closed
        values["resolution"] = "disposition" if closed else None
        values["closed_at"] = updated if values["status"] == "closed" else None
        values["closed_by"] = updated_by if values["status"] == "closed" else None
        conn.execute(update, values)


def downgrade() -> None:
    for table, indexes in (("customer_activity", ["ix_customer_activity_customer_at"]), ("fraud_sla_bands", []),
                           ("fraud_alert_links", []), ("fraud_suppressions", ["ix_fraud_suppressions_key"]),
                           ("fraud_case_files", ["ix_fraud_case_files_case"]),
                           ("fraud_events", ["ix_fraud_events_alert", "ix_fraud_events_case", "ix_fraud_events_kind_at"]),
                           ("fraud_cases", ["ix_fraud_cases_status_updated"])):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE fraud_alerts SET status = CASE WHEN outcome = 'TRUE_POSITIVE' THEN 'fraud' "
                         "WHEN outcome = 'FALSE_POSITIVE' THEN 'legit' WHEN status = 'escalated' THEN 'open' "
                         "ELSE status END"))
    for name, _columns in _PARTIAL:
        op.drop_index(name, table_name="fraud_alerts")
    with op.batch_alter_table("fraud_alerts") as batch:
        for name in ("closed_unclaimed", "claim", "outcome", "status"):
            batch.drop_constraint(op.f(f"ck_fraud_alerts_{name}"), type_="check")
        for name, _columns in _ALERT_INDEXES:
            batch.drop_index(name)
        for name, _type in reversed(_NEW_ALERT_COLUMNS):
            batch.drop_column(name)
        batch.create_check_constraint("status", "status in ('open','investigating','fraud','legit','closed')")
