"""Fraud labels: ground truth arriving late, fed back into counterparty and card risk state."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from core.errors import NotFound, ValidationError
from core.fraud.dbstate import DatabaseStore, insert_for
from core.fraud.history import transfers_by_id
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudLabel, FraudScore


@dataclass(frozen=True)
class Label:
    transfer_id: str
    is_fraud: bool
    labelled_by: str = "system"
    labelled_at: datetime | None = None


def record_labels(conn: Connection, labels: Iterable[Label]) -> int:
    """Store labels (a new label for a transfer replaces the old one) and update risk state by the change.

    Every transfer must exist (posted, or at least screened); otherwise NotFound and nothing is written.
    Returns how many labels changed the state. Runs in the caller's transaction.
    """
    labels = list(labels)
    ids = [lab.transfer_id for lab in labels]
    if len(set(ids)) != len(ids):
        raise ValidationError("a transfer appears twice in one batch of labels")
    for lab in labels:
        if lab.labelled_at is not None and lab.labelled_at.tzinfo is None:
            raise ValidationError("labelled_at must be timezone-aware UTC", transfer_id=lab.transfer_id)
    posted = transfers_by_id(conn, ids)
    missing = [i for i in ids if i not in posted]
    if missing:
        screened = set(conn.scalars(select(FraudScore.transfer_id).where(FraudScore.transfer_id.in_(missing))))
        unknown = [i for i in missing if i not in screened]
        if unknown:
            raise NotFound(f"no transfer {unknown[0]!r} to label", transfer_id=unknown[0], count=len(unknown))
    before = dict(conn.execute(
        select(FraudLabel.transfer_id, FraudLabel.is_fraud).where(FraudLabel.transfer_id.in_(ids))).all()) if ids else {}
    store = DatabaseStore()
    changed = 0
    now = utcnow()
    for lab in labels:
        stmt = insert_for(conn, FraudLabel.__table__).values(
            transfer_id=lab.transfer_id, is_fraud=bool(lab.is_fraud), labelled_at=lab.labelled_at or now,
            labelled_by=lab.labelled_by)
        conn.execute(stmt.on_conflict_do_update(index_elements=["transfer_id"], set_={
            "is_fraud": stmt.excluded.is_fraud, "labelled_at": stmt.excluded.labelled_at,
            "labelled_by": stmt.excluded.labelled_by}))
        delta = int(bool(lab.is_fraud)) - int(bool(before.get(lab.transfer_id, False)))
        if delta and lab.transfer_id in posted:  # a declined payment never counted in the state
            store.add_label(conn, posted[lab.transfer_id], delta)
            changed += 1
    return changed
