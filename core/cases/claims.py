"""Claiming alerts: one analyst per alert, enforced by the database.

A claim is one conditional UPDATE (``... WHERE assignee IS NULL OR the lease ran out``): of two desks
claiming the same alert at once, PostgreSQL makes the second wait for the first to commit and then finds
the condition false; SQLite serializes writers at BEGIN. "Next" picks the most urgent unclaimed alert
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so desks asking at once get different alerts).

A claim lasts while its lease does (``LEASE``; the console renews it while the desk is in use) and is
released when the analyst's session locks or ends, so a desk that died frees its alerts by itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from core.cases import live, timeline
from core.cases.errors import AlertClosed, AlertNotFound, ClaimedByOther, NeedsSupervisor, NotClaimed, NothingToClaim
from core.cases.queue import ACTIVE, claimed_by, not_snoozed, unclaimed
from core.errors import NotFound, PermissionDenied, QenexError, ValidationError
from core.persistence.models import FraudAlert, User
from core.security.roles import Actor, Permission, Role

_AL = FraudAlert.__table__
LEASE = timedelta(minutes=30)
MAX_NOTE = 4000


def fetch(conn: Connection, alert_id: int, *, lock: bool = False) -> Any:
    """The alert's row, or AlertNotFound (``lock``: FOR UPDATE on PostgreSQL)."""
    query = select(_AL).where(_AL.c.id == alert_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise AlertNotFound(f"no alert #{alert_id}; check the number in the queue", alert_id=alert_id)
    return row


def holder(row: Any, now: datetime) -> str | None:
    """Who holds the alert now (None when unclaimed or the lease ran out)."""
    return row.assignee if row.assignee and row.lease_until and row.lease_until > now else None


def workable(actor: Actor) -> tuple[str, ...]:
    """Statuses ``actor`` may claim and decide: escalated alerts only with ALERT_SUPERVISE."""
    return ("escalated", "open") if actor.can(Permission.ALERT_SUPERVISE) else ("open",)


def check_workable(actor: Actor, row: Any, now: datetime) -> None:
    """Raise the plain reason ``actor`` cannot work ``row`` right now (closed, escalated, someone else's)."""
    refused = refusal(actor, row, now)
    if refused is not None:
        raise refused


def refusal(actor: Actor, row: Any, now: datetime) -> QenexError | None:
    """Why ``actor`` may not claim or decide ``row`` (an alert row or ``AlertRow``) now, worded for them, or None.

    No database: the console asks it to switch Claim and Decide off with the reason as their tooltip, and
    ``check_workable`` raises it, so the buttons and the refusal say the same."""
    if row.status == "closed":
        return AlertClosed(f"alert #{row.id} is already closed ({_closed_words(row)}); nothing to do",
                           alert_id=row.id)
    if row.status not in workable(actor):
        return NeedsSupervisor(f"alert #{row.id} was escalated to a supervisor; only a supervisor may claim or "
                               "decide it", alert_id=row.id)
    other = holder(row, now)
    if other and other != actor.username:
        return ClaimedByOther(claimed_words(actor, row.id, other), alert_id=row.id, assignee=other)
    return None


def claimed_words(actor: Actor, alert_id: int, other: str) -> str:
    """``alert_id`` is held by ``other``: what ``actor`` can do about it (a supervisor reassigns it to themself;
    anyone else asks the holder or a supervisor)."""
    if actor.can(Permission.ALERT_REASSIGN):
        return (f"alert #{alert_id} is claimed by {other}; as a supervisor you may take it over: reassign it to "
                f"yourself with a note (Reassign… in the queue, or qenex alerts reassign {alert_id} --to "
                f"{actor.username} --note WHY), then decide it")
    return (f"alert #{alert_id} is claimed by {other}; ask {other} to release it, or a supervisor to reassign it "
            "to you")


def _closed_words(row: Any) -> str:
    if row.outcome in ("TRUE_POSITIVE", "FALSE_POSITIVE"):
        return f"{row.outcome} by {row.closed_by}"
    return f"{(row.resolution or 'closed').replace('_', ' ')} by {row.closed_by}"


def claim(conn: Connection, actor: Actor, alert_id: int, now: datetime) -> Any:
    """Claim ``alert_id`` for ``actor`` (renewing the lease if it is already theirs); returns the row."""
    row = fetch(conn, alert_id)
    check_workable(actor, row, now)
    result = conn.execute(
        update(_AL).where(_AL.c.id == alert_id, _AL.c.status.in_(workable(actor)),
                          unclaimed(now) | (_AL.c.assignee == actor.username))
        .values(assignee=actor.username, claimed_at=now if holder(row, now) != actor.username else row.claimed_at,
                lease_until=now + LEASE, updated_at=now, updated_by=actor.username))
    if result.rowcount != 1:  # another desk got there between our read and our write
        check_workable(actor, fetch(conn, alert_id), now)
        raise ClaimedByOther(f"alert #{alert_id} was just claimed by someone else", alert_id=alert_id)
    if holder(row, now) != actor.username:
        timeline.add(conn, actor.username, "claimed", now, alert_id=alert_id)
        live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "assignee": actor.username})
    return fetch(conn, alert_id)


def next_alert(conn: Connection, actor: Actor, now: datetime, tries: int = 5) -> Any:
    """Claim the most urgent unclaimed, unsnoozed alert ``actor`` may work: escalated ones first for
    supervisors, then by due time, then by score. NothingToClaim when the queue is empty."""
    for _ in range(tries):
        for status in workable(actor):
            query = (select(_AL.c.id).where(ACTIVE, _AL.c.status == status, unclaimed(now), not_snoozed(now))
                     .order_by(_AL.c.due_at, _AL.c.score.desc(), _AL.c.id).limit(1)
                     .with_for_update(skip_locked=True))
            alert_id = conn.execute(query).scalar()
            if alert_id is not None:
                break
        else:
            raise NothingToClaim("no unclaimed alert is waiting; the queue is empty for now")
        try:
            return claim(conn, actor, alert_id, now)
        except ClaimedByOther:
            continue
    raise NothingToClaim("other desks claimed every alert offered; try Next again")


def release(conn: Connection, actor: Actor, alert_id: int, now: datetime, why: str = "") -> Any:
    """Give the alert back to the queue (only its holder may)."""
    row = fetch(conn, alert_id)
    if row.status == "closed":
        raise AlertClosed(f"alert #{alert_id} is already closed", alert_id=alert_id)
    current = holder(row, now)
    if current != actor.username:
        if current:
            raise ClaimedByOther(f"only its holder releases an alert: {claimed_words(actor, alert_id, current)}",
                                 alert_id=alert_id, assignee=current)
        raise NotClaimed(f"alert #{alert_id} is not claimed by you; nothing to release", alert_id=alert_id)
    _unclaim(conn, alert_id, actor.username, now)
    timeline.add(conn, actor.username, "released", now, alert_id=alert_id, why=why)
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "assignee": None})
    return fetch(conn, alert_id)


def release_all(conn: Connection, username: str, now: datetime, why: str) -> list[int]:
    """Release every alert ``username`` holds (their session locked or ended); returns the alert ids."""
    ids = list(conn.scalars(select(_AL.c.id).where(_AL.c.assignee == username, _AL.c.status != "closed")))
    for alert_id in ids:
        _unclaim(conn, alert_id, username, now)
        timeline.add(conn, username, "released", now, alert_id=alert_id, why=why)
        live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "assignee": None})
    return ids


def renew(conn: Connection, username: str, now: datetime) -> int:
    """Extend the leases of every alert ``username`` still holds (the desk is in use)."""
    result = conn.execute(update(_AL).where(claimed_by(username, now), _AL.c.status != "closed")
                          .values(lease_until=now + LEASE))
    return result.rowcount


def reassign(conn: Connection, actor: Actor, alert_id: int, to_user: str, note: str, now: datetime) -> Any:
    """Hand the alert to ``to_user``; needs a note. Its holder may hand it on; a supervisor may move any."""
    note = require_reason(note, "reassigning an alert")
    row = fetch(conn, alert_id)
    if row.status == "closed":
        raise AlertClosed(f"alert #{alert_id} is already closed", alert_id=alert_id)
    current = holder(row, now)
    if current != actor.username and not actor.can(Permission.ALERT_REASSIGN):
        raise PermissionDenied(f"only the alert's holder or a supervisor may reassign alert #{alert_id}"
                               + (f" (held by {current})" if current else ""), alert_id=alert_id)
    target = _analyst(conn, to_user)
    if row.status == "escalated" and target.role != Role.SUPERVISOR.value:
        raise NeedsSupervisor(f"alert #{alert_id} is escalated: reassign it to a supervisor, not {to_user}")
    if current == target.username:
        raise ValidationError(f"alert #{alert_id} is already with {to_user}", alert_id=alert_id)
    conn.execute(update(_AL).where(_AL.c.id == alert_id).values(
        assignee=target.username, claimed_at=now, lease_until=now + LEASE, updated_at=now,
        updated_by=actor.username))
    timeline.add(conn, actor.username, "reassigned", now, alert_id=alert_id, note=note,
                 **{"from": current or "the queue", "to": target.username})
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "assignee": target.username})
    return fetch(conn, alert_id)


def require_note(note: str | None, what: str) -> str:
    """The trimmed note, or NoteRequired naming ``what`` needs it."""
    from core.cases.errors import NoteRequired

    text = (note or "").strip()
    if not text and what.endswith("note"):  # the note itself is what is missing
        raise NoteRequired(f"{what} cannot be empty; write what you found")
    if not text:
        raise NoteRequired(f"{what} needs a note saying why; write what you found in the note")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"a note has at most {MAX_NOTE} characters ({len(text)} given)")
    return text


def require_reason(note: str | None, what: str) -> str:
    """The note a decision needs (confirming fraud, escalating, suppressing a rule, reassigning, raising an
    alert by hand, resolving/reopening/merging a case): non-empty (``require_note``) and saying why by the one
    rule for a decision's reason (``core.reasons``: at least 10 characters and 2 words), else NoteRequired."""
    from core import reasons
    from core.cases.errors import NoteRequired

    text = require_note(note, what)
    return reasons.check(text, f"the note for {what}", field="note", error=NoteRequired, max_chars=MAX_NOTE)


def _unclaim(conn: Connection, alert_id: int, username: str, now: datetime) -> None:
    conn.execute(update(_AL).where(_AL.c.id == alert_id).values(
        assignee=None, claimed_at=None, lease_until=None, updated_at=now, updated_by=username))


def assignees(conn: Connection) -> list[tuple[str, str]]:
    roles = (Role.ANALYST.value, Role.SUPERVISOR.value)
    return [tuple(r) for r in conn.execute(select(User.username, User.role).where(
        User.status == "active", User.role.in_(roles)).order_by(User.username))]


def _analyst(conn: Connection, username: str) -> Any:
    row = conn.execute(select(User.username, User.role, User.status).where(User.username == (username or "").strip())).first()
    if row is None:
        raise NotFound(f"no user {username!r}; reassign to an analyst or supervisor by user name", user=username)
    if row.status != "active":
        raise ValidationError(f"user {username} is disabled and cannot take alerts", user=username)
    if row.role not in (Role.ANALYST.value, Role.SUPERVISOR.value):
        raise ValidationError(f"{username} is a {row.role}; alerts go to analysts and supervisors", user=username)
    return row
