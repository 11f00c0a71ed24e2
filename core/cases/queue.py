"""The alert queue as analysts see it: filter, sort and page through alerts (millions: every filter and the
default orders are indexed; pages are OFFSET/LIMIT windows the console fetches as the view scrolls).

A claim counts only while its lease lasts (``lease_until``); an alert whose desk died shows unassigned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, and_, exists, func, not_, or_, select
from sqlalchemy.sql import ColumnElement, Select, operators

from core.cases import rules as rules_mod
from core.cases.intake import SCALE
from core.errors import ValidationError
from core.ledger.money import INT64_MAX
from core.persistence.models import AlertLink, FraudAlert

_AL = FraudAlert.__table__
_LINK = AlertLink.__table__
MAX_LIMIT = 10_000
STATUSES = ("active", "open", "mine", "snoozed", "escalated", "overdue", "supervise", "closed", "all")
# QA4 #4: the two things an alert's ``escalation`` column records, in words. Only "analyst" hands the alert to
# the supervisors (status ``escalated``: supervisors only, the Escalated filter); "sla" marks an open alert
# past its due time of which the supervisors were told (the Overdue filter): analysts still claim and decide it.
ESCALATION_WORDS = {"analyst": "escalated to the supervisors: only a supervisor may claim or decide it",
                    "sla": "overdue: past its SLA and the supervisors were told; analysts may still work it"}
SORTS = {  # the first five follow the partial indexes of the active queue (models/fraud.py)
    "priority": (_AL.c.due_at.asc(), _AL.c.score.desc(), _AL.c.id.asc()),
    "score": (_AL.c.score.desc(), _AL.c.id.desc()),
    "newest": (_AL.c.created_at.desc(), _AL.c.id.desc()),
    "oldest": (_AL.c.created_at.asc(), _AL.c.id.asc()),
    "due": (_AL.c.due_at.asc(), _AL.c.score.desc(), _AL.c.id.asc()),
    "amount": (_AL.c.amount_scaled.desc(), _AL.c.id.desc()),
    "customer": (_AL.c.customer_name.asc(), _AL.c.id.asc()),
    "assignee": (_AL.c.assignee.asc(), _AL.c.id.asc()),
    "channel": (_AL.c.channel.asc(), _AL.c.id.asc()),
    "rule": (_AL.c.rule.asc(), _AL.c.id.asc()),
    "closed": (_AL.c.closed_at.desc(), _AL.c.id.desc()),
}


@dataclass(frozen=True)
class AlertFilter:
    """What part of the queue to show. ``status``: one of STATUSES (``active`` = open or escalated,
    ``mine`` = claimed by the viewer, ``escalated`` = handed to the supervisors, ``overdue`` = past the due
    time and still open to analysts (never an escalated one), ``supervise`` = escalated or overdue: a supervisor's default). ``assignee``: None (anyone), ``"unassigned"``, or a username.
    Amounts are decimal strings in the alert's own currency units (no FX), inclusive."""

    status: str = "active"
    band: str | None = None
    rule: str | None = None
    channel: str | None = None
    assignee: str | None = None
    min_amount: str | None = None
    max_amount: str | None = None
    text: str | None = None  # customer name (part), account number, transfer id or counterparty
    customer_id: int | None = None
    case_id: int | None = None
    sort: str = "priority"
    ids: tuple[int, ...] = field(default=())
    reverse: bool = False  # the named order run backwards (a second click on a queue header): the database sorts

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.sort not in SORTS:
            raise ValidationError(f"sort by one of {', '.join(SORTS)}, not {self.sort!r}")
        if self.rule is not None and self.rule not in rules_mod.RULES:
            raise ValidationError(f"unknown rule {self.rule!r}; rules: {', '.join(rules_mod.RULES)}")
        for name in ("min_amount", "max_amount"):
            _scaled_bound(getattr(self, name), name)


@dataclass(frozen=True)
class AlertRow:
    """One alert as the queue shows it. ``assignee`` is None once the claim's lease ran out."""

    id: int
    transfer_id: str
    created_at: datetime
    score: float
    band: str
    due_at: datetime
    status: str
    assignee: str | None
    lease_until: datetime | None
    snoozed_until: datetime | None
    escalation: str | None
    outcome: str | None
    resolution: str | None
    customer_id: int | None
    customer_name: str | None
    account: str | None
    beneficiary: str | None
    amount: int | None  # minor units of currency
    currency: str | None
    channel: str | None
    counterparty: str | None
    device: str | None
    rule: str | None
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    case_id: int | None
    closed_at: datetime | None
    closed_by: str | None
    source: str

    def overdue(self, now: datetime) -> bool:
        return self.status != "closed" and self.due_at < now

    def snoozed(self, now: datetime) -> bool:
        return self.status == "open" and self.snoozed_until is not None and self.snoozed_until > now

    @property
    def escalation_words(self) -> str:
        """What ``escalation`` means for who may act, in words ('' when the alert was neither)."""
        if self.status == "escalated":  # handed up by an analyst (perhaps after it was overdue)
            return ESCALATION_WORDS["analyst"]
        return ESCALATION_WORDS["sla"] if self.status == "open" and self.escalation == "sla" else ""

    def state(self, now: datetime) -> str:
        """open | claimed | snoozed | escalated | closed (what the status column says)."""
        if self.status != "open":
            return self.status
        if self.snoozed(now):
            return "snoozed"
        return "claimed" if self.assignee else "open"

    @property
    def reasons_summary(self) -> str:
        return "; ".join(self.reasons[:2]) if self.reasons else rules_mod.title(self.rule)

    def to_dict(self) -> dict[str, Any]:
        from core.ledger.money import plain

        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in data.items():
            if isinstance(v, datetime):
                data[k] = v.isoformat()
            elif isinstance(v, tuple):
                data[k] = list(v)
        data["amount"] = None if self.amount is None or not self.currency else plain(self.amount, self.currency)
        data["score"] = round(self.score, 4)
        return data


def row_from(r: Any, now: datetime) -> AlertRow:
    held = r.assignee if r.assignee and r.lease_until and r.lease_until > now else None
    return AlertRow(r.id, r.transfer_id, r.created_at, r.score, r.band, r.due_at, r.status, held,
                    r.lease_until if held else None, r.snoozed_until, r.escalation, r.outcome, r.resolution,
                    r.customer_id, r.customer_name, r.account, r.beneficiary, r.amount, r.currency, r.channel,
                    r.counterparty, r.device, r.rule, tuple(_json_list(r.rules)), tuple(_json_list(r.reasons)),
                    r.case_id, r.closed_at, r.closed_by, r.source)


def _json_list(raw: str | None) -> list[str]:
    value = json.loads(raw) if raw else []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _scaled_bound(raw: str | None, name: str) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(f"{name.replace('_', ' ')} {raw!r} is not an amount; write e.g. 250 or 1000.50") from None
    if not value.is_finite() or value < 0:
        raise ValidationError(f"{name.replace('_', ' ')} must be zero or more, not {raw!r}")
    scaled = int(value.scaleb(SCALE).to_integral_value())
    if scaled > INT64_MAX:
        raise ValidationError(f"{name.replace('_', ' ')} {str(raw)[:30]!r} is larger than any amount the ledger holds")
    return scaled


def id_in(text: str) -> int | None:
    """The alert or case number a search names (``#12`` or ``12``, ASCII digits, 1 to 2**63-1), else None."""
    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or not 0 < int(digits) <= INT64_MAX:
        return None
    return int(digits)


# Written as the partial indexes' own predicate, so both databases use them (SQLite matches it literally).
ACTIVE = _AL.c.status != "closed"


def claimed_by(name: str, now: datetime) -> ColumnElement[bool]:
    return and_(_AL.c.assignee == name, _AL.c.lease_until > now)


def unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(_AL.c.assignee.is_(None), _AL.c.lease_until <= now)


def not_snoozed(now: datetime) -> ColumnElement[bool]:
    return or_(_AL.c.snoozed_until.is_(None), _AL.c.snoozed_until <= now)


def overdue_open(now: datetime) -> ColumnElement[bool]:
    """Past its due time and still open to analysts (not handed to the supervisors, not closed): the Overdue
    filter, as the SLA sweep (``core.cases.sla.overdue_ids``) counts them."""
    return and_(_AL.c.status == "open", _AL.c.due_at < now)


def where(f: AlertFilter, viewer: str, now: datetime) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``f`` as seen by ``viewer`` at ``now``."""
    conds: list[ColumnElement[bool]] = [ACTIVE] if f.status not in ("closed", "all") else []
    status = {
        "active": None,
        "open": and_(_AL.c.status == "open", not_snoozed(now)),
        "mine": and_(_AL.c.status.in_(("open", "escalated")), claimed_by(viewer, now)),
        "snoozed": and_(_AL.c.status == "open", not_(not_snoozed(now))),
        "escalated": _AL.c.status == "escalated",  # supervisors only (QA4 #4); overdue ones: "overdue"
        "overdue": overdue_open(now),  # "past SLA, still open to analysts": an escalated one is under Escalated
        "supervise": or_(_AL.c.status == "escalated", overdue_open(now)),
        "closed": _AL.c.status == "closed",
        "all": None,
    }[f.status]
    if status is not None:
        conds.append(status)
    if f.band:
        conds.append(_AL.c.band == f.band)
    if f.rule:
        conds.append(exists().where(_LINK.c.kind == "rule", _LINK.c.key == f.rule, _LINK.c.alert_id == _AL.c.id))
    if f.channel:
        conds.append(_AL.c.channel == f.channel)
    if f.assignee == "unassigned":
        conds.append(unclaimed(now))
    elif f.assignee:
        conds.append(claimed_by(viewer if f.assignee == "me" else f.assignee, now))
    low, high = _scaled_bound(f.min_amount, "min_amount"), _scaled_bound(f.max_amount, "max_amount")
    if low is not None:
        conds.append(_AL.c.amount_scaled >= low)
    if high is not None:
        conds.append(_AL.c.amount_scaled <= high)
    if f.text and f.text.strip():
        text = f.text.strip()
        like = f"%{text.lower().replace('%', '').replace('_', '')}%"
        matches = [func.lower(_AL.c.customer_name).like(like), _AL.c.account == text, _AL.c.transfer_id == text,
                   _AL.c.counterparty == text]
        if (number := id_in(text)) is not None:
            matches.append(_AL.c.id == number)
        conds.append(or_(*matches))
    if f.customer_id is not None:
        conds.append(_AL.c.customer_id == f.customer_id)
    if f.case_id is not None:
        conds.append(_AL.c.case_id == f.case_id)
    if f.ids:
        conds.append(_AL.c.id.in_(f.ids))
    return conds


def order(f: AlertFilter) -> tuple[ColumnElement, ...]:
    """The ORDER BY of ``f``: its named order (``SORTS``), every key turned round when ``f.reverse`` (so a page
    of the reversed order is the database's, not the loaded rows sorted again; nulls follow the direction)."""
    clauses = SORTS[f.sort]
    if not f.reverse:
        return clauses
    return tuple(c.element.asc() if c.modifier is operators.desc_op else c.element.desc() for c in clauses)


def query(f: AlertFilter, viewer: str, now: datetime) -> Select:
    return select(_AL).where(*where(f, viewer, now)).order_by(*order(f))


def page(conn: Connection, f: AlertFilter, viewer: str, now: datetime, offset: int, limit: int) -> list[AlertRow]:
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"page through alerts with offset >= 0 and 1 <= limit <= {MAX_LIMIT}")
    return [row_from(r, now) for r in conn.execute(query(f, viewer, now).offset(offset).limit(limit))]


def count(conn: Connection, f: AlertFilter, viewer: str, now: datetime) -> int:
    return conn.execute(select(func.count()).select_from(_AL).where(*where(f, viewer, now))).scalar_one()


def stamp(conn: Connection) -> tuple[int, str]:
    """Changes when any alert is raised or changes: (newest id, newest update time) — two index look-ups."""
    newest = conn.execute(select(func.max(_AL.c.id))).scalar() or 0
    updated = conn.execute(select(func.max(_AL.c.updated_at))).scalar()
    return int(newest), updated.isoformat() if updated else ""
