"""``FraudDesk``: every alert action an analyst or supervisor takes, permission-checked and audited in core.

Each call runs in one database transaction (retried on deadlocks and serialization failures like the
ledger's postings) and appends to the signed audit trail in that transaction. Refusals are typed errors
(``core.cases.errors``) that write nothing except, for a missing permission, the refusal's audit entry.
The console calls these on its database worker; the ``qenex alerts`` commands call the same methods.
"""
from __future__ import annotations

import logging

from collections.abc import Callable, Sequence
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from core.cases import claims, detail, dispositions, intake, live, queue, sla, stats, suppressions, timeline
from core.cases.casebook import CaseBook
from core.cases.dispositions import Decision, DispositionResult
from core.cases.queue import AlertFilter, AlertRow
from core.errors import QenexError, ValidationError
from core.fraud.config import FraudConfig
from core.persistence.base import utcnow
from core.security import guard
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.ledger.service import Ledger

MAX_BATCH = 500


class FraudDesk:
    """Alert queue, claims, dispositions, SLA and suppressions over the ledger's database.

    ``config`` is the fraud screen's (its review and decline thresholds are drawn on the charts).
    """

    def __init__(self, ledger: "Ledger", *, config: FraudConfig | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.audit = ledger.audit
        self.config = config or (ledger.screen.config if ledger.screen is not None else FraudConfig())
        self.clock = clock
        self.cases = CaseBook(self)
        # Called with (actor, DispositionResult) after a disposition commits, e.g. a held card payment's
        # provider capture or cancel (core.payments.review.follow). A hook's failure is logged, never raised.
        self.after_dispose: list[Callable[[Actor, DispositionResult], Any]] = []

    # -- plumbing -------------------------------------------------------------------------------------------
    def _authorize(self, actor: Actor, permission: Permission, target: str = "") -> None:
        guard.authorize(self.engine, self.audit, actor, permission, target)

    def _write(self, work: Callable[[Connection, datetime], Any]) -> Any:
        return self.ledger.run(lambda conn: work(conn, self.clock()))

    def _read(self, work: Callable[[Connection, datetime], Any]) -> Any:
        with self.engine.connect() as conn:
            return work(conn, self.clock())

    def _audit(self, conn: Connection, actor: Actor, action: str, alert_id: int, before: dict | None,
               after: dict | None) -> None:
        self.ledger.record(conn, actor, action, f"alert:{alert_id}", before, after)

    # -- the queue ------------------------------------------------------------------------------------------
    def alerts(self, actor: Actor, filter: AlertFilter = AlertFilter(), offset: int = 0,  # noqa: A002, B008
               limit: int = 100) -> list[AlertRow]:
        """A page of the queue (``filter`` decides which alerts and their order). Needs ALERT_VIEW."""
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.alerts")
        return self._read(lambda conn, now: queue.page(conn, filter, actor.username, now, offset, limit))

    def count(self, actor: Actor, filter: AlertFilter = AlertFilter()) -> int:  # noqa: A002, B008
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.alerts")
        return self._read(lambda conn, now: queue.count(conn, filter, actor.username, now))

    def stamp(self, actor: Actor) -> tuple[int, str]:
        """Changes whenever the queue does (for desks without live updates to poll cheaply)."""
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.alerts")
        return self._read(lambda conn, _now: queue.stamp(conn))

    def alert(self, actor: Actor, alert_id: int) -> AlertRow:
        self._authorize(actor, Permission.ALERT_VIEW, f"alert:{alert_id}")
        return self._read(lambda conn, now: queue.row_from(claims.fetch(conn, alert_id), now))

    def detail(self, actor: Actor, alert_id: int, zone: tzinfo = timezone.utc) -> detail.AlertDetail:
        """Transaction, customer, timeline, features against the customer's normal, related items."""
        self._authorize(actor, Permission.ALERT_VIEW, f"alert:{alert_id}")
        return self._read(lambda conn, now: detail.load(conn, alert_id, now, zone))

    def assignees(self, actor: Actor) -> list[tuple[str, str]]:
        """(user name, role) of every active analyst and supervisor: who an alert can be handed to."""
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.assignees")
        return self._read(lambda conn, _now: claims.assignees(conn))

    # -- claims ---------------------------------------------------------------------------------------------
    def claim(self, actor: Actor, alert_id: int) -> AlertRow:
        """Take ``alert_id``; refused if it is closed, escalated (analysts) or held by someone else."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")

        def work(conn: Connection, now: datetime) -> AlertRow:
            before = claims.holder(claims.fetch(conn, alert_id), now)
            row = claims.claim(conn, actor, alert_id, now)
            if before != actor.username:
                self._audit(conn, actor, "alert.claim", alert_id, {"assignee": before}, {"assignee": actor.username})
            return queue.row_from(row, now)

        return self._write(work)

    def next(self, actor: Actor) -> AlertRow:
        """Claim the most urgent unclaimed alert (NothingToClaim when the queue is empty)."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, "fraud.alerts")

        def work(conn: Connection, now: datetime) -> AlertRow:
            row = claims.next_alert(conn, actor, now)
            self._audit(conn, actor, "alert.claim", row.id, {"assignee": None}, {"assignee": actor.username, "next": True})
            return queue.row_from(row, now)

        return self._write(work)

    def release(self, actor: Actor, alert_id: int) -> AlertRow:
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")

        def work(conn: Connection, now: datetime) -> AlertRow:
            row = claims.release(conn, actor, alert_id, now)
            self._audit(conn, actor, "alert.release", alert_id, {"assignee": actor.username}, {"assignee": None})
            return queue.row_from(row, now)

        return self._write(work)

    def reassign(self, actor: Actor, alert_id: int, to_user: str, note: str) -> AlertRow:
        """Hand an alert to another analyst (a note is required)."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")
        claims.require_reason(note, "reassigning an alert")

        def work(conn: Connection, now: datetime) -> AlertRow:
            before = claims.holder(claims.fetch(conn, alert_id), now)
            row = claims.reassign(conn, actor, alert_id, to_user, note, now)
            self._audit(conn, actor, "alert.reassign", alert_id, {"assignee": before},
                        {"assignee": row.assignee, "note": note.strip()})
            return queue.row_from(row, now)

        return self._write(work)

    def renew(self, actor: Actor) -> int:
        """Extend the leases of the claims ``actor`` holds (the console calls this while the desk is used)."""
        return self._write(lambda conn, now: claims.renew(conn, actor.username, now))

    def release_session(self, conn: Connection, actor: Actor, reason: str) -> list[int]:
        """Session-end hook (``UserService.on_session_end``): the desk locked or logged out; free its claims."""
        now = self.clock()
        ids = claims.release_all(conn, actor.username, now, reason)
        for alert_id in ids:
            self._audit(conn, actor, "alert.release", alert_id, {"assignee": actor.username},
                        {"assignee": None, "why": reason})
        return ids

    # -- decisions ------------------------------------------------------------------------------------------
    def dispose(self, actor: Actor, alert_id: int, decision: Decision) -> DispositionResult:
        """Decide one alert; the held funds follow in the same transaction (see core.cases.dispositions)."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")
        dispositions.check(decision, self.clock())
        result = self._write(lambda conn, now: dispositions.dispose(self.ledger, conn, actor, alert_id, decision, now))
        for hook in self.after_dispose:
            try:
                hook(actor, result)
            except Exception:  # noqa: BLE001 - the disposition stands; the hook's owner retries (payments sync)
                logging.getLogger(__name__).exception("after-disposition hook failed for alert #%s", alert_id)
        return result

    def dispose_many(self, actor: Actor, alert_ids: Sequence[int], decision: Decision) -> list[DispositionResult | QenexError]:
        """Decide many alerts the same way, each in its own transaction: a result or the refusal per item."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, "fraud.alerts")
        ids = list(dict.fromkeys(alert_ids))
        if not ids or len(ids) > MAX_BATCH:
            raise ValidationError(f"select 1 to {MAX_BATCH} alerts for a batch decision ({len(ids)} selected)")
        dispositions.check(decision, self.clock())
        results: list[DispositionResult | QenexError] = []
        for alert_id in ids:
            try:
                results.append(self.dispose(actor, alert_id, decision))
            except QenexError as err:
                results.append(err)
        return results

    def note(self, actor: Actor, alert_id: int, text: str) -> None:
        """Add a note to the alert's timeline."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")
        body = claims.require_note(text, "a note")

        def work(conn: Connection, now: datetime) -> None:
            row = claims.fetch(conn, alert_id)
            timeline.add(conn, actor.username, "note", now, alert_id=alert_id, case_id=row.case_id, note=body)
            self._audit(conn, actor, "alert.note", alert_id, None, {"note": body})
            live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id})

        self._write(work)

    def raise_manual(self, actor: Actor, transfer_id: str, note: str) -> AlertRow:
        """Flag a transfer the screen let through (e.g. found among related transfers) as an alert."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, transfer_id)
        body = claims.require_reason(note, "raising an alert by hand")

        def work(conn: Connection, now: datetime) -> AlertRow:
            alert_id = intake.raise_manual(conn, actor.username, transfer_id, body, now)
            self._audit(conn, actor, "alert.raise", alert_id, None, {"transfer_id": transfer_id, "note": body})
            return queue.row_from(claims.fetch(conn, alert_id), now)

        return self._write(work)

    # -- SLA ------------------------------------------------------------------------------------------------
    def sla_policy(self, actor: Actor) -> sla.SlaPolicy:
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.sla")
        return self._read(lambda conn, _now: sla.load(conn))

    def set_sla_policy(self, actor: Actor, policy: sla.SlaPolicy) -> sla.SlaPolicy:
        """Replace the SLA bands (SETTINGS_CHANGE); alerts already raised keep their due time."""
        self._authorize(actor, Permission.SETTINGS_CHANGE, "fraud.sla")

        def work(conn: Connection, _now: datetime) -> sla.SlaPolicy:
            before = sla.load(conn)
            sla.save(conn, policy)
            self.ledger.record(conn, actor, "fraud.sla", "fraud.sla", {"bands": [b.to_dict() for b in before.bands]},
                               {"bands": [b.to_dict() for b in policy.bands]})
            return policy

        return self._write(work)

    def escalate_overdue(self, actor: Actor) -> list[int]:
        """Flag every open alert past its due time as overdue and tell the supervisors (each once; the alerts stay
        open for analysts, core.cases.sla); returns their ids."""
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.sla")

        def work(conn: Connection, now: datetime) -> list[int]:
            done = sla.mark_escalated(conn, sla.overdue_ids(conn, now), now)
            for alert_id in done:
                row = claims.fetch(conn, alert_id)
                timeline.add(conn, "system", "sla_breach", now, alert_id=alert_id,
                             due=row.due_at.isoformat(timespec="minutes"))
                self._audit(conn, actor, "alert.sla_breach", alert_id, {"escalation": None},
                            {"escalation": "sla", "due_at": row.due_at})
                live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "escalation": "sla"})
            return done

        return self._write(work)

    # -- suppressions ---------------------------------------------------------------------------------------
    def suppressions(self, actor: Actor, *, active_only: bool = True) -> list[suppressions.SuppressionView]:
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.suppressions")
        return self._read(lambda conn, now: suppressions.listing(conn, active_only=active_only, now=now))

    def suppress(self, actor: Actor, alert_id: int, rule: str, scope: str, days: int,
                 note: str) -> suppressions.SuppressionView:
        """Suppress ``rule`` for the card or counterparty of a false positive (closed FALSE_POSITIVE)."""
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"alert:{alert_id}")
        body = suppressions.validate(rule, scope, days, note)  # the same rule as with a disposition

        def work(conn: Connection, now: datetime) -> suppressions.SuppressionView:
            row = claims.fetch(conn, alert_id)
            if row.outcome != "FALSE_POSITIVE":
                raise ValidationError(f"alert #{alert_id} is not a false positive; suppress rules from false "
                                      "positives only")
            return dispositions.suppress_for(self.ledger, conn, actor, row,
                                             dispositions.SuppressRequest(rule, scope, days), body, now)

        return self._write(work)

    def revoke_suppression(self, actor: Actor, suppression_id: int) -> suppressions.SuppressionView:
        self._authorize(actor, Permission.ALERT_DISPOSITION, f"suppression:{suppression_id}")

        def work(conn: Connection, now: datetime) -> suppressions.SuppressionView:
            made = suppressions.revoke(conn, actor.username, suppression_id, now)
            self.ledger.record(conn, actor, "fraud.unsuppress", f"suppression:{suppression_id}",
                               {"until": made.until}, {"revoked_at": now})
            return made

        return self._write(work)

    # -- charts ---------------------------------------------------------------------------------------------
    def stats(self, actor: Actor) -> stats.ChartData:
        """Coalesced data for the charts (alerts per hour, scores, throughput, SLA breaches, share confirmed)."""
        self._authorize(actor, Permission.ALERT_VIEW, "fraud.stats")
        screen = self.ledger.screen
        return self._read(lambda conn, now: stats.collect(  # the thresholds in force (core.fraud.versions)
            conn, now, screen.current_config(conn) if screen is not None else self.config))
