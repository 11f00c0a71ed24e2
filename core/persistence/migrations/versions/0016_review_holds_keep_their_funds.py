"""pending transfers an open fraud alert holds lose their timeout: held until the analyst decides (QA4 #2)

Data only. Since this revision a payment held for review gets no timeout, and an alert raised by hand or a
four-eyes approval lifts it (core.ledger.pending.hold_for_review); this lifts it from the ones written before,
with the same rule: still pending and not yet past their timeout, not an account hold or a card capture, and
no four-eyes request still waiting on it (that request's expiry still ends it); a payment order's held
fee follows its payment. Down: nothing to undo (the old
timeouts are not kept).

Revision ID: 0016
Revises: 0015
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from core.persistence.columns import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = sa.table("transfers", sa.column("id", sa.String), sa.column("kind", sa.String), sa.column("state", sa.String),
                 sa.column("code", sa.String), sa.column("expires_at", UTCDateTime()))
    alerts = sa.table("fraud_alerts", sa.column("transfer_id", sa.String), sa.column("status", sa.String))
    requests = sa.table("approval_requests", sa.column("transfer_id", sa.String), sa.column("state", sa.String))
    op.get_bind().execute(t.update().where(
        t.c.kind == "pending", t.c.state == "pending", t.c.code.not_in(("hold", "card_capture")),
        t.c.expires_at.is_not(None), t.c.expires_at > datetime.now(timezone.utc),
        t.c.id.in_(sa.select(alerts.c.transfer_id).where(alerts.c.status != "closed")),
        t.c.id.not_in(sa.select(requests.c.transfer_id).where(requests.c.state == "pending",
                                                              requests.c.transfer_id.is_not(None))),
    ).values(expires_at=None))
    # a payment order's held fee follows its payment (core.payments.order_fees.held_for_review)
    orders = sa.table("payment_orders", sa.column("id", sa.String), sa.column("transfer_id", sa.String),
                      sa.column("status", sa.String))
    held = sa.select(t.c.id).where(t.c.kind == "pending", t.c.state == "pending", t.c.expires_at.is_(None),
                                   t.c.id.in_(sa.select(alerts.c.transfer_id).where(alerts.c.status != "closed")))
    fees = sa.select((orders.c.id + ":fee").label("fee")).where(orders.c.status == "created",
                                                                 orders.c.transfer_id.in_(held))
    op.get_bind().execute(t.update().where(
        t.c.state == "pending", t.c.expires_at.is_not(None), t.c.expires_at > datetime.now(timezone.utc),
        t.c.id.in_(fees)).values(expires_at=None))


def downgrade() -> None:
    pass
