"""Suppressions: from a false positive, snooze one rule for one card or one counterparty for a few days.

While a suppression is active the fraud screen scores that card's (or counterparty's) payments with the
rule switched off (``core.cases.screening.reconsider``), so the same false alarm does not come back.
Each one expires by itself (at most ``MAX_DAYS``, as Marble caps its rule snoozes), may be revoked
early, and every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from core.cases import rules
from core.cases.errors import AlertNotFound
from core.errors import NotFound, ValidationError
from core.persistence.models import FraudAlert, Suppression

_SUP = Suppression.__table__
_AL = FraudAlert.__table__
MAX_DAYS = 90
SCOPES = ("card", "counterparty")


@dataclass(frozen=True)
class SuppressionView:
    id: int
    rule: str
    scope: str
    key: str
    label: str
    until: datetime
    alert_id: int | None
    note: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    hits: int

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.until > now

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "rule_title": rules.title(self.rule), "scope": self.scope,
                "key": self.key, "label": self.label, "until": self.until.isoformat(), "alert_id": self.alert_id,
                "note": self.note, "created_by": self.created_by, "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
                "revoked_by": self.revoked_by, "hits": self.hits}


def _view(row: Any) -> SuppressionView:
    return SuppressionView(row.id, row.rule, row.scope, row.key, row.label, row.until, row.alert_id, row.note,
                           row.created_by, row.created_at, row.revoked_at, row.revoked_by, row.hits)


def card_of(alert: Any) -> str | None:
    """The fraud engine's card key of an alert's payer (core.fraud.txn.card_key: customer and currency)."""
    if alert.customer_id is None or alert.currency is None:
        return None
    return f"{alert.customer_id}:{alert.currency}"


NOTE_WHAT = "suppressing a rule"


def validate(rule: str, scope: str, days: int, note: str | None = None) -> str:
    """Check a suppression and return its note: one rule for both ways of making one (with a false-positive
    disposition, ``FraudDesk.suppress`` afterwards): a suppression switches a fraud rule off for a card or a
    counterparty, so it always says why (NoteRequired without a note)."""
    from core.cases.claims import require_reason

    if rule not in rules.SUPPRESSIBLE:
        allowed = ", ".join(sorted(rules.SUPPRESSIBLE))
        raise ValidationError(f"rule {rule!r} cannot be suppressed; choose one of: {allowed}", rule=rule)
    if scope not in SCOPES:
        raise ValidationError(f"a suppression applies to one card or one counterparty, not {scope!r}", scope=scope)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"a suppression lasts 1 to {MAX_DAYS} days, not {days!r}", days=days)
    return require_reason(note, NOTE_WHAT)


def create(conn: Connection, actor: str, alert: Any, rule: str, scope: str, days: int, note: str,
           now: datetime) -> SuppressionView:
    """Suppress ``rule`` for the card or counterparty of ``alert`` (a row of fraud_alerts) for ``days``;
    ``note`` (required) says why."""
    note = validate(rule, scope, days, note)
    if scope == "card":
        key = card_of(alert)
        label = f"{alert.customer_name or 'customer ' + str(alert.customer_id)}'s {alert.currency} payments"
    else:
        key = alert.counterparty
        label = f"counterparty {alert.counterparty}"
    if not key:
        raise ValidationError(f"alert #{alert.id} names no {scope} to suppress the rule for", alert_id=alert.id)
    values = {"rule": rule, "scope": scope, "key": key[:96], "label": label[:200], "until": now + timedelta(days=days),
              "alert_id": alert.id, "note": note, "created_by": actor, "created_at": now, "hits": 0}
    new_id = conn.execute(_SUP.insert().values(**values).returning(_SUP.c.id)).scalar_one()
    return SuppressionView(new_id, **{k: v for k, v in values.items()}, revoked_at=None, revoked_by=None)


def revoke(conn: Connection, actor: str, suppression_id: int, now: datetime) -> SuppressionView:
    row = conn.execute(select(_SUP).where(_SUP.c.id == suppression_id)).first()
    if row is None:
        raise NotFound(f"no suppression #{suppression_id}", id=suppression_id)
    if row.revoked_at is not None or row.until <= now:
        raise ValidationError(f"suppression #{suppression_id} has already ended", id=suppression_id)
    conn.execute(update(_SUP).where(_SUP.c.id == suppression_id).values(revoked_at=now, revoked_by=actor))
    return _view(conn.execute(select(_SUP).where(_SUP.c.id == suppression_id)).one())


def active_for(conn: Connection, *, card: str | None, counterparty: str | None, now: datetime) -> list[SuppressionView]:
    """Suppressions in force now for this card or this counterparty."""
    keys = [and_(_SUP.c.scope == "card", _SUP.c.key == card)] if card else []
    if counterparty:
        keys.append(and_(_SUP.c.scope == "counterparty", _SUP.c.key == counterparty))
    if not keys:
        return []
    rows = conn.execute(select(_SUP).where(or_(*keys), _SUP.c.until > now, _SUP.c.revoked_at.is_(None))).all()
    return [_view(r) for r in rows]


def listing(conn: Connection, *, active_only: bool, now: datetime, limit: int = 500) -> list[SuppressionView]:
    query = select(_SUP).order_by(_SUP.c.id.desc()).limit(limit)
    if active_only:
        query = query.where(_SUP.c.until > now, _SUP.c.revoked_at.is_(None))
    return [_view(r) for r in conn.execute(query)]


def alert_row(conn: Connection, alert_id: int) -> Any:
    row = conn.execute(select(_AL).where(_AL.c.id == alert_id)).first()
    if row is None:
        raise AlertNotFound(f"no alert #{alert_id}", alert_id=alert_id)
    return row
