"""Labels from outside the alert queue: chargebacks and confirmations recorded against a transfer.

``label`` stores the ground truth (a new label replaces the old one) through core.fraud.labels, so the
screen's risk state moves at once and the next retrain learns from it; audited as ``fraud.label``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from core.errors import ValidationError
from core.fraud.labels import Label, record_labels
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudLabel
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


def label(engine: Engine, audit, actor: Actor, transfer_id: str, is_fraud: bool) -> Labelled:  # noqa: ANN001
    """Record ``transfer_id`` as fraud or genuine (NotFound for an unknown transfer)."""
    guard.authorize(engine, audit, actor, Permission.ALERT_DISPOSITION, f"transfer:{transfer_id}"[:200])
    tid = (transfer_id or "").strip()
    if not tid or len(tid) > 64 or not tid.isprintable():
        raise ValidationError("a transfer id has 1 to 64 printable characters; copy it from the receipt or "
                              "'qenex ledger' output", transfer_id=tid[:64])
    with engine.begin() as conn:
        previous = conn.scalar(select(FraudLabel.is_fraud).where(FraudLabel.transfer_id == tid))
        changed = record_labels(conn, [Label(tid, bool(is_fraud), labelled_by=actor.username, labelled_at=utcnow())])
        if audit is not None:
            audit.append(conn, actor, "fraud.label", f"transfer:{tid}",
                         None if previous is None else {"is_fraud": bool(previous)}, {"is_fraud": bool(is_fraud)})
    return Labelled(tid, bool(is_fraud), None if previous is None else bool(previous), bool(changed))
