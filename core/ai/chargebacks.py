"""Labels from outside the alert queue: chargebacks and confirmations recorded against a transfer.

``label`` stores the ground truth (a new label replaces the old one) through core.fraud.labels, so the
screen's risk state moves at once and the next retrain learns from it; audited as ``fraud.label`` with the label
before and after. Only a named analyst or supervisor labels (ALERT_DISPOSITION is human-only,
core.security.roles.HUMAN_ONLY); only a customer payment the ledger or the fraud screen knows can be labelled;
changing an existing label needs a reason.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from core.errors import NotFound, ValidationError
from core.fraud.labels import Label, record_labels
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudLabel, FraudScore
from core.persistence.models.ledger import Account, Transfer
from core.security import guard
from core.security.roles import Actor, Permission


@dataclass(frozen=True)
class Labelled:
    transfer_id: str
    is_fraud: bool
    previous: bool | None  # the label it replaced, if any
    changed_state: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def label(engine: Engine, audit, actor: Actor, transfer_id: str, is_fraud: bool,  # noqa: ANN001
          reason: str = "") -> Labelled:
    """Record ``transfer_id`` as fraud or genuine.

    Raises PermissionDenied (not an analyst or supervisor; the system operator never labels), NotFound (no such
    transfer in the ledger or the fraud screen), ValidationError (not a customer payment; or ``reason`` missing
    when the transfer's existing label changes).
    """
    guard.authorize(engine, audit, actor, Permission.ALERT_DISPOSITION, f"transfer:{transfer_id}"[:200])
    tid = (transfer_id or "").strip()
    if not tid or len(tid) > 64 or not tid.isprintable():
        raise ValidationError("a transfer id has 1 to 64 printable characters; copy it from the receipt or "
                              "'qenex ledger' output", transfer_id=tid[:64])
    why = " ".join((reason or "").split())[:500]
    with engine.begin() as conn:
        _require_payment(conn, tid)
        previous = conn.scalar(select(FraudLabel.is_fraud).where(FraudLabel.transfer_id == tid))
        if previous is not None and bool(previous) != bool(is_fraud) and not why:
            was = "fraud" if previous else "genuine"
            raise ValidationError(f"{tid} is labelled {was}; changing a label needs a reason (--reason TEXT): "
                                  "what the chargeback or the customer's confirmation says", transfer_id=tid)
        changed = record_labels(conn, [Label(tid, bool(is_fraud), labelled_by=actor.username, labelled_at=utcnow())])
        if audit is not None:
            after = {"is_fraud": bool(is_fraud), **({"reason": why} if why else {})}
            audit.append(conn, actor, "fraud.label", f"transfer:{tid}",
                         None if previous is None else {"is_fraud": bool(previous)}, after)
    return Labelled(tid, bool(is_fraud), None if previous is None else bool(previous), bool(changed))


def _require_payment(conn: Connection, tid: str) -> None:
    """A customer payment: paid from a customer's account (posted or held, not a correction or the transfer that
    resolved a hold), or one the fraud screen scored (a declined payment never reached the ledger)."""
    t = Transfer.__table__.c
    row = conn.execute(select(t.kind, t.state, t.reverses_id, Account.__table__.c.customer_id)
                       .join_from(Transfer.__table__, Account.__table__, Account.__table__.c.id == t.debit_account_id)
                       .where(t.id == tid)).first()
    if row is None:
        if conn.scalar(select(FraudScore.transfer_id).where(FraudScore.transfer_id == tid)) is None:
            raise NotFound(f"no transfer {tid!r} among the ledger's or the fraud screen's payments; copy its id "
                           "from the receipt, the statement or 'qenex alerts show'", transfer_id=tid)
        return
    payment = (row.customer_id is not None and row.reverses_id is None
               and (row.kind == "pending" or (row.kind == "single" and row.state == "posted")))
    if not payment:
        raise ValidationError(f"{tid} is not a customer payment (a correction, a bank-ledger transfer or the posting "
                              "of a hold); label the payment a customer made", transfer_id=tid)
