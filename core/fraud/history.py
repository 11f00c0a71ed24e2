"""Read the ledger's customer-paid transfers as fraud transactions (for training and labels)."""
from __future__ import annotations

from sqlalchemy import Connection, Select, and_, or_, select
from sqlalchemy.orm import aliased

from core.fraud.txn import Txn, card_key, customer_device
from core.ledger.money import exponent
from core.persistence.models.fraud import FraudLabel
from core.persistence.models.ledger import Account, Transfer

_CREDIT = aliased(Account.__table__, name="credit_account")


def _query() -> Select:
    t = Transfer.__table__.c
    a = Account.__table__.c
    return (
        select(t.id, t.created_at, t.amount, t.currency, t.channel, t.counterparty, t.counterparty_country,
               t.device, t.debit_account_id, a.customer_id, _CREDIT.c.number.label("credit_number"))
        .join_from(Transfer.__table__, Account.__table__, a.id == t.debit_account_id)
        .join(_CREDIT, _CREDIT.c.id == t.credit_account_id)
    )


def to_txn(row) -> Txn:  # noqa: ANN001
    """As the ledger screens it: the counterparty defaults to the credited account's number."""
    return Txn(row.id, card_key(row.customer_id, row.debit_account_id, row.currency),
               row.counterparty or row.credit_number,
               row.counterparty_country.upper() if row.counterparty_country else None,
               row.amount / 10 ** exponent(row.currency), int(row.created_at.timestamp()),
               row.channel, customer_device(row.channel, row.device))


def payments(conn: Connection) -> tuple[list[Txn], list[bool]]:
    """Customer payments the screen would have counted, in time order, with their fraud labels
    (unlabelled = legit): posted single transfers and held (pending) ones, whatever became of the
    hold; the transfers that resolve a hold are not payments of their own."""
    t = Transfer.__table__.c
    a = Account.__table__.c
    lab = FraudLabel.__table__.c
    q = (_query().add_columns(lab.is_fraud)
         .outerjoin(FraudLabel.__table__, lab.transfer_id == t.id)
         .where(a.customer_id.is_not(None),
                or_(and_(t.kind == "single", t.state == "posted"), t.kind == "pending"),
                t.reverses_id.is_(None))
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
