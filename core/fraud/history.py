"""Read the ledger's customer-paid transfers as fraud transactions (for training and labels)."""
from __future__ import annotations

from sqlalchemy import Connection, Select, select

from core.fraud.txn import Txn, card_key
from core.ledger.money import exponent
from core.persistence.models.fraud import FraudLabel
from core.persistence.models.ledger import Account, Transfer

PAYMENT_KINDS = ("single", "post_pending")


def _query() -> Select:
    t = Transfer.__table__.c
    a = Account.__table__.c
    return (
        select(t.id, t.created_at, t.amount, t.currency, t.channel, t.counterparty, t.counterparty_country,
               t.device, t.debit_account_id, a.customer_id)
        .join_from(Transfer.__table__, Account.__table__, a.id == t.debit_account_id)
    )


def to_txn(row) -> Txn:  # noqa: ANN001
    return Txn(row.id, card_key(row.customer_id, row.debit_account_id, row.currency), row.counterparty,
               row.counterparty_country.upper() if row.counterparty_country else None,
               row.amount / 10 ** exponent(row.currency), int(row.created_at.timestamp()),
               row.channel, row.device)


def payments(conn: Connection) -> tuple[list[Txn], list[bool]]:
    """Posted payments made by customers, in time order, with their fraud labels (unlabelled = legit)."""
    t = Transfer.__table__.c
    a = Account.__table__.c
    lab = FraudLabel.__table__.c
    q = (_query().add_columns(lab.is_fraud)
         .outerjoin(FraudLabel.__table__, lab.transfer_id == t.id)
         .where(a.customer_id.is_not(None), t.state == "posted", t.kind.in_(PAYMENT_KINDS))
         .order_by(t.created_at, t.id))
    txns, frauds = [], []
    for row in conn.execute(q):
        txns.append(to_txn(row))
        frauds.append(bool(row.is_fraud))
    return txns, frauds


def transfers_by_id(conn: Connection, ids: list[str]) -> dict[str, Txn]:
    out: dict[str, Txn] = {}
    t = Transfer.__table__.c
    for start in range(0, len(ids), 500):
        for row in conn.execute(_query().where(t.id.in_(ids[start:start + 500]))):
            out[row.id] = to_txn(row)
    return out
