"""Dispositions: an analyst's decision on an alert, with the held funds following it in the same transaction.

| outcome | code | the money | the alert | fraud label |
| --- | --- | --- | --- | --- |
| confirmed | TRUE_POSITIVE | hold voided, or a posted payment reversed by a correcting transfer | closed | fraud, now |
| false-positive | FALSE_POSITIVE | hold posted | closed | legitimate, now |
| inconclusive | INCONCLUSIVE | stays held | open: snoozed until a date (due its SLA after), or back in the queue | none |
| escalate | — | stays held | escalated to a supervisor | none |

Confirmed fraud and escalation need a note that says why (``claims.require_reason``: the
``core.reasons`` rule, at least 10 characters and 2 words). Confirmed fraud may also ask a supervisor to freeze the
payer's account (four eyes: ``core.cases.freeze``); a false positive may suppress one rule for the card or
counterparty (``core.cases.suppressions``). Every disposition is audited, written to the alert's
timeline, and recorded as a fraud label at once (``core.fraud.labels.record_labels``), so the screen's
risk state and the next model learn from it without waiting for the label delay.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from core.cases import claims, freeze, live, sla, suppressions, timeline
from core.cases.errors import HoldNotResolvable, OwnTransfer
from core.cases.holds import touch_case
from core.errors import QenexError, ValidationError
from core.fraud.labels import Label, record_labels
from core.ledger import pending as pending_ops
from core.ledger import store
from core.ledger.views import TransferRequest
from core.persistence.models import FraudAlert
from core.security.roles import Actor, Role

if TYPE_CHECKING:
    from core.ledger.service import Ledger

_AL = FraudAlert.__table__
CODES = {"confirmed": "TRUE_POSITIVE", "false-positive": "FALSE_POSITIVE", "inconclusive": "INCONCLUSIVE"}
OUTCOMES = ("confirmed", "false-positive", "inconclusive", "escalate")
_ALIASES = {"true_positive": "confirmed", "fraud": "confirmed", "false_positive": "false-positive",
            "legit": "false-positive", "false-positive": "false-positive", "confirmed": "confirmed",
            "inconclusive": "inconclusive", "escalate": "escalate", "escalated": "escalate"}
MAX_SNOOZE = timedelta(days=90)


@dataclass(frozen=True)
class SuppressRequest:
    """Snooze ``rule`` for the alert's ``scope`` (card | counterparty) for ``days`` (false positives only)."""

    rule: str
    scope: str
    days: int


@dataclass(frozen=True)
class Decision:
    """``outcome``: confirmed | false-positive | inconclusive | escalate (codes TRUE_POSITIVE etc. accepted)."""

    outcome: str
    note: str = ""
    snooze_until: datetime | None = None  # inconclusive: back in the queue at this time (UTC-aware)
    freeze: bool = False  # confirmed: ask a supervisor to freeze the payer's account
    suppress: SuppressRequest | None = None

    def normalized(self) -> str:
        name = _ALIASES.get((self.outcome or "").strip().lower().replace(" ", "-"))
        if name is None:
            raise ValidationError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")
        return name


@dataclass(frozen=True)
class DispositionResult:
    """What a disposition did. ``money``: voided | posted | corrected | held | expired | none."""

    alert_id: int
    outcome: str
    code: str | None
    status: str
    money: str
    transfer_id: str
    money_transfer: str | None = None  # the post/void/correcting transfer's id
    label: bool | None = None
    freeze_request: int | None = None  # the approval request's id, when the approvals inbox is present
    freeze: bool = False  # a freeze of the payer's account was asked for
    suppression: int | None = None
    snoozed_until: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["snoozed_until"] = self.snoozed_until.isoformat() if self.snoozed_until else None
        data["notes"] = list(self.notes)
        return data


def check(decision: Decision, now: datetime) -> str:
    """Validate a decision before anything is read or written; returns the normalized outcome."""
    outcome = decision.normalized()
    if outcome in ("confirmed", "escalate"):
        claims.require_reason(decision.note, "confirming fraud" if outcome == "confirmed" else "escalating")
    elif decision.note and len(decision.note) > claims.MAX_NOTE:
        claims.require_note(decision.note, "a disposition")
    if decision.snooze_until is not None:
        if outcome != "inconclusive":
            raise ValidationError("only an inconclusive disposition snoozes an alert")
        if decision.snooze_until.tzinfo is None:
            raise ValidationError("the snooze time must be timezone-aware")
        if not now < decision.snooze_until <= now + MAX_SNOOZE:
            raise ValidationError(f"snooze until a time in the next {MAX_SNOOZE.days} days, not "
                                  f"{decision.snooze_until:%Y-%m-%d %H:%M %Z}")
    if decision.freeze and outcome != "confirmed":
        raise ValidationError("an account freeze is asked for with confirmed fraud only")
    if decision.suppress is not None:
        if outcome != "false-positive":
            raise ValidationError("a rule is suppressed from a false positive only")
        suppressions.validate(decision.suppress.rule, decision.suppress.scope, decision.suppress.days, decision.note)
    return outcome


def dispose(ledger: "Ledger", conn: Connection, actor: Actor, alert_id: int, decision: Decision,
            now: datetime) -> DispositionResult:
    """Apply ``decision`` to ``alert_id`` in the caller's transaction (everything or nothing)."""
    outcome = check(decision, now)
    row = claims.fetch(conn, alert_id, lock=True)
    claims.check_workable(actor, row, now)
    if outcome in ("confirmed", "false-positive"):
        _not_the_maker(conn, actor, row)
    if outcome == "escalate" and row.status == "escalated":
        raise ValidationError(f"alert #{alert_id} is already escalated to the supervisors; decide it, or hand it to "
                              "another supervisor (Reassign…, or qenex alerts reassign)")
    if claims.holder(row, now) != actor.username:
        claims.claim(conn, actor, alert_id, now)  # deciding an unclaimed alert takes it first
    note = (decision.note or "").strip() or None
    before = {"status": row.status, "assignee": claims.holder(row, now), "outcome": row.outcome}
    code = CODES.get(outcome)
    money, moved, label, freeze_id, suppression_id, snooze = "held", None, None, None, None, None
    if outcome == "confirmed":
        _close(conn, actor, alert_id, code, now)  # first: the hold's own close-the-alert hook then finds it done
        money, moved = _void_or_reverse(ledger, conn, actor, row)
        label = True
        if decision.freeze:
            freeze_id = freeze.request(ledger, conn, actor, row, note or "", now)
    elif outcome == "false-positive":
        _close(conn, actor, alert_id, code, now)
        money, moved = _post(ledger, conn, actor, row)
        label = False
        if decision.suppress is not None:
            suppression_id = suppress_for(ledger, conn, actor, row, decision.suppress, note, now).id
    elif outcome == "inconclusive":
        snooze = decision.snooze_until
        extra = {}
        if snooze is not None:  # asleep, the SLA clock stops: due its band's time after it wakes up
            extra["due_at"] = snooze + timedelta(minutes=sla.load(conn).band(row.score).minutes)
        conn.execute(update(_AL).where(_AL.c.id == alert_id).values(
            outcome=code, snoozed_until=snooze, assignee=None, claimed_at=None, lease_until=None,
            updated_at=now, updated_by=actor.username, **extra))
    else:
        conn.execute(update(_AL).where(_AL.c.id == alert_id).values(
            status="escalated", escalation="analyst", escalated_at=now, assignee=None, claimed_at=None,
            lease_until=None, updated_at=now, updated_by=actor.username))
    if label is not None:
        record_labels(conn, [Label(row.transfer_id, label, labelled_by=actor.username, labelled_at=now)])
    kind = {"escalate": "escalated"}.get(outcome, "snoozed" if snooze else "disposition")
    timeline.add(conn, actor.username, kind, now, alert_id=alert_id, note=note, outcome=code or "ESCALATED",
                 money=money, until=snooze.isoformat(timespec="minutes") if snooze else None)
    status = {"escalate": "escalated", "inconclusive": "open"}.get(outcome, "closed")
    ledger.record(conn, actor, "alert.disposition", f"alert:{alert_id}", before,
                  {"status": status, "outcome": code or "ESCALATED", "money": money, "money_transfer": moved,
                   "note": note, "snoozed_until": snooze, "freeze_request": freeze_id})
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "status": status, "outcome": code})
    if row.case_id is not None:
        touch_case(conn, row.case_id, now)
    return DispositionResult(alert_id, outcome, code, status, money, row.transfer_id, moved, label, freeze_id,
                             bool(decision.freeze), suppression_id, snooze)


def suppress_for(ledger: "Ledger", conn: Connection, actor: Actor, row: Any, req: SuppressRequest,
                 note: str | None, now: datetime) -> suppressions.SuppressionView:
    """Suppress ``req.rule`` for the card or counterparty of alert ``row``; audited and on its timeline."""
    made = suppressions.create(conn, actor.username, row, req.rule, req.scope, req.days, note or "", now)
    ledger.record(conn, actor, "fraud.suppress", f"alert:{row.id}", None,
                  {"rule": req.rule, "scope": req.scope, "key": made.key, "until": made.until, "suppression": made.id})
    timeline.add(conn, actor.username, "suppressed", now, alert_id=row.id, rule=req.rule, label=made.label,
                 until=made.until.date().isoformat(), suppression=made.id)
    return made


def _close(conn: Connection, actor: Actor, alert_id: int, code: str, now: datetime) -> None:
    conn.execute(update(_AL).where(_AL.c.id == alert_id).values(
        status="closed", outcome=code, resolution="disposition", closed_at=now, closed_by=actor.username,
        assignee=None, claimed_at=None, lease_until=None, snoozed_until=None, updated_at=now,
        updated_by=actor.username))


def _not_the_maker(conn: Connection, actor: Actor, row: Any) -> None:
    """Releasing or declining the money of a transfer one made oneself (a held card payment one took) is the
    maker deciding their own case: another analyst or supervisor decides it (the payments page refuses the same,
    core.payments.service)."""
    t = store.transfers_by_id(conn, [row.transfer_id]).get(row.transfer_id) if row.transfer_id else None
    if t is None or t["state"] != "pending" or actor.role is Role.SYSTEM or t["created_by"] != actor.username:
        return
    raise OwnTransfer(f"alert #{row.id} holds {row.transfer_id}, which {actor.username} made; another analyst or "
                      "supervisor decides it (maker and checker are two people): release it for them",
                      alert_id=row.id, transfer_id=row.transfer_id)


def _transfer(conn: Connection, row: Any) -> dict[str, Any]:
    t = store.transfers_by_id(conn, [row.transfer_id]).get(row.transfer_id)
    if t is None:
        raise HoldNotResolvable(f"alert #{row.id} names transfer {row.transfer_id}, which the ledger does not "
                                "have; close it through a case instead", alert_id=row.id)
    return t


def _void_or_reverse(ledger: "Ledger", conn: Connection, actor: Actor, row: Any) -> tuple[str, str | None]:
    t = _transfer(conn, row)
    if t["kind"] == "pending" and t["state"] == "pending":
        expired: list[bool] = []
        result = pending_ops.resolve_on(ledger, conn, actor, t["id"], post=False, amount=None, id=None,
                                        expired=expired)
        return ("expired", None) if expired else ("voided", result.id)
    posted_id = t["id"]
    if t["kind"] == "pending":
        if t["state"] != "posted":
            return "none", None  # voided or expired already: no money moved
        posted_id = conn.execute(select(store.T.c.id).where(store.T.c.pending_id == t["id"],
                                                            store.T.c.kind == "post_pending")).scalar()
    elif t["state"] != "posted":
        return "none", None
    return "corrected", _reverse(ledger, conn, actor, posted_id, row.id)


def _reverse(ledger: "Ledger", conn: Connection, actor: Actor, transfer_id: str, alert_id: int) -> str:
    """Undo a posted payment with a correcting transfer (entries stay immutable), in this transaction."""
    original = store.transfers_by_id(conn, [transfer_id])[transfer_id]
    numbers = store.account_numbers(conn, [original["debit_account_id"], original["credit_account_id"]])
    req = TransferRequest(
        id=f"{transfer_id}:fraud-reversal"[:64], debit=numbers[original["credit_account_id"]],
        credit=numbers[original["debit_account_id"]], amount=original["amount"], currency=original["currency"],
        code="correction", description=f"fraud reversal of {transfer_id} (alert #{alert_id})",
        reverses_id=transfer_id)
    try:
        return ledger.transfer_in(conn, actor, req).id
    except QenexError as err:
        raise HoldNotResolvable(f"the payment {transfer_id} could not be reversed: {err.message}",
                                alert_id=alert_id) from err


def _post(ledger: "Ledger", conn: Connection, actor: Actor, row: Any) -> tuple[str, str | None]:
    t = _transfer(conn, row)
    if t["kind"] != "pending" or t["state"] != "pending":
        return "none", None  # posted already (or never held): nothing to release
    expired: list[bool] = []
    result = pending_ops.resolve_on(ledger, conn, actor, t["id"], post=True, amount=None, id=None, expired=expired)
    if expired:
        raise HoldNotResolvable(
            f"the hold on {t['id']} has expired, so the payment can no longer be made; the funds are released "
            "when the expiry runs. Ask the customer to pay again", alert_id=row.id)
    return "posted", result.id
