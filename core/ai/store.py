"""Recommendations in the database: stored per run, accepted, rejected and rolled back exactly.

Accepting records the model and settings versions active before and after (``before``/``after``); a
rollback makes the ``before`` state of what the card changed (the model, or the settings) active again,
and only while that part of the ``after`` state is still in force (a later change of the same thing must
be rolled back first), so a rollback never undoes someone else's change. A model promotion and a settings
change are independent: either rolls back without the other. An open card whose model or settings are no
longer in force is out of date (``Rec.stale``) and cannot be accepted; a run does not propose again what a
supervisor rejected or rolled back unless the evidence changed materially (``core.ai.rules``).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from core.ai import rules
from core.ai.drafts import Draft
from core.errors import NotFound, QenexError
from core.events import RECOMMENDATION_CREATED, RECOMMENDATION_UPDATED, publish
from core.fraud import registry, versions
from core.fraud.config import FraudConfig
from core.persistence.models.ai import Recommendation
from core.persistence.models.fraud import FraudModel
from core.security.roles import Actor

_RC = Recommendation.__table__
MAX_REASON = rules.MAX_REASON
REVERSIBLE = ("promote", "threshold", "rule", "terminal")


class RecommendationConflict(QenexError):
    """The recommendation is not in a state that allows the action (already decided, superseded, ...)."""

    code = "conflict"


@dataclass(frozen=True)
class Rec:
    id: int
    run_id: int | None
    kind: str
    subject: str
    title: str
    change: dict
    evidence: dict
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    before: dict | None
    after: dict | None
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    stale: str | None = None  # an open card that can no longer be applied: why (``rules.out_of_date``)

    @property
    def reversible(self) -> bool:
        return self.kind in REVERSIBLE

    @property
    def history(self) -> list[dict]:
        """Each decision with its own who and when: ``{"action", "by", "at", "reason"}``, oldest first."""
        return rules.history(self.status, self.decided_at, self.decided_by, self.reason, self.rolled_back_at,
                             self.rolled_back_by)

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if evidence or k != "evidence"}
        for k in ("created_at", "decided_at", "rolled_back_at"):
            data[k] = data[k].isoformat() if data[k] else None
        data["history"] = [{**h, "at": h["at"].isoformat()} for h in self.history]
        return data


def _rec(row: Any, now: tuple[dict, dict] | None = None) -> Rec:
    change, evidence = json.loads(row.change or "{}"), json.loads(row.evidence or "{}")
    stale = rules.out_of_date(row.kind, change, evidence, *now) if now is not None and row.status == "open" else None
    return Rec(row.id, row.run_id, row.kind, row.subject, row.title, change, evidence, row.status, row.created_at,
               row.decided_at, row.decided_by, row.reason, json.loads(row.before) if row.before else None,
               json.loads(row.after) if row.after else None, row.rolled_back_at, row.rolled_back_by, stale)


def _in_force(conn: Connection, base: FraudConfig | None) -> tuple[dict, dict]:
    return state(conn), versions.plain(versions.current(conn, base or FraudConfig()))


def repeats(conn: Connection, drafts: Sequence[Draft], now: datetime) -> tuple[list[Draft], list[Draft]]:
    """Split ``drafts`` into (new, repeated): a repeat is about what a supervisor rejected or rolled back in
    the last ``rules.REPEAT_DAYS`` days with evidence that did not change materially (``core.ai.rules``)."""
    since = now - timedelta(days=rules.REPEAT_DAYS)
    turned_down: dict[tuple[str, str], list[dict]] = {}
    q = select(_RC.c.kind, _RC.c.subject, _RC.c.evidence).where(
        _RC.c.status.in_(("rejected", "rolled_back")),
        or_(_RC.c.decided_at >= since, _RC.c.rolled_back_at >= since))
    for kind, subject, evidence in conn.execute(q):
        turned_down.setdefault(rules.key(kind, subject), []).append(json.loads(evidence or "{}"))
    kept, repeated = [], []
    for d in drafts:
        old = turned_down.get(rules.key(d.kind, d.subject), [])
        if all(rules.materially_changed(d.kind, d.evidence, ev) for ev in old):
            kept.append(d)
        else:
            repeated.append(d)
    return kept, repeated


def store(conn: Connection, run_id: int, drafts: Sequence[Draft], now: datetime) -> list[int]:
    """Supersede every open recommendation and store ``drafts`` as the open ones (returns their ids)."""
    conn.execute(update(_RC).where(_RC.c.status == "open").values(status="superseded"))
    ids = []
    for d in drafts:
        result = conn.execute(_RC.insert().values(
            run_id=run_id, kind=d.kind, subject=d.subject[:96], title=d.title[:300],
            change=json.dumps(d.change, default=str), evidence=json.dumps(d.evidence, default=str), status="open",
            created_at=now))
        ids.append(int(result.inserted_primary_key[0]))
    publish(conn, RECOMMENDATION_CREATED, {"run": run_id, "ids": ids[:50]})
    return ids


def get(conn: Connection, rec_id: int, *, lock: bool = False, base: FraudConfig | None = None) -> Rec:
    """One card; an open one with ``stale`` set when it can no longer be applied (``base``: the screen's
    base FraudConfig, for the settings in force)."""
    q = select(_RC).where(_RC.c.id == rec_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    if row is None:
        raise NotFound(f"No recommendation #{rec_id}; list them with: qenex ai recommendations", id=rec_id)
    return _rec(row, _in_force(conn, base))


def listing(conn: Connection, status: str = "open", limit: int = 200, *, base: FraudConfig | None = None) -> list[Rec]:
    q = select(_RC).order_by(_RC.c.id.desc()).limit(limit)
    if status == "decided":
        q = q.where(_RC.c.status.in_(("accepted", "rejected", "rolled_back")))
    elif status != "all":
        q = q.where(_RC.c.status == status)
    now = _in_force(conn, base)
    return [_rec(r, now) for r in conn.execute(q)]


def fingerprint(conn: Connection) -> tuple:
    """A cheap summary that changes whenever a card is stored or decided or a run starts or ends (the
    console polls it where live updates cannot reach it: SQLite shared by other processes)."""
    from core.persistence.models.ai import AiRun

    run = AiRun.__table__
    return (tuple(conn.execute(select(func.max(_RC.c.id), func.max(_RC.c.decided_at), func.max(_RC.c.rolled_back_at),
                                      func.count()).where(_RC.c.status != "superseded")).one()),
            tuple(conn.execute(select(func.max(run.c.id), func.max(run.c.finished_at))).one()),
            tuple(state(conn).values()))


def state(conn: Connection) -> dict[str, int | None]:
    """The versions in force: the active model and the active settings (None: none / code defaults)."""
    return {"model": registry.active_version(conn), "settings": versions.active_version(conn)}


def _set_model(conn: Connection, version: int | None) -> None:
    conn.execute(update(FraudModel).where(FraudModel.active.is_(True)).values(active=False))
    if version is not None:
        registry.info(conn, version)
        conn.execute(update(FraudModel).where(FraudModel.version == version).values(active=True))


def accept(conn: Connection, actor: Actor, rec_id: int, base: FraudConfig, now: datetime, *,
           started_run: int | None = None) -> Rec:
    """Apply the change at once (in the caller's transaction) and mark it accepted. ``started_run``: the
    retrain run accepting a drift card started (recorded in ``after`` as ``retrain``)."""
    rec = get(conn, rec_id, lock=True, base=base)
    _require_open(rec)
    before = state(conn)
    if rec.stale:
        raise RecommendationConflict(f"Recommendation #{rec.id} cannot be accepted. {rec.stale}", id=rec.id)
    if rec.kind == "promote":
        _set_model(conn, int(rec.change["model"]))
    elif rec.kind in ("threshold", "rule", "terminal"):
        current = versions.current(conn, base)
        versions.save(conn, current, rec.change["settings"], by=actor.username, note=f"recommendation #{rec.id}")
    after = {**state(conn), **({"retrain": started_run} if started_run is not None else {})}
    _decide(conn, rec, "accepted", actor, now, before=before, after=after)
    return get(conn, rec_id)


def reject(conn: Connection, actor: Actor, rec_id: int, reason: str, now: datetime) -> Rec:
    """Turn the card down with a reason (``rules.check_reason``: at least 10 characters and 2 words)."""
    reason = rules.check_reason(reason)
    rec = get(conn, rec_id, lock=True)
    _require_open(rec)
    _decide(conn, rec, "rejected", actor, now, reason=reason)
    return get(conn, rec_id)


def rollback(conn: Connection, actor: Actor, rec_id: int, now: datetime) -> Rec:
    """Make the state before the accept active again, exactly, for what the card changed: the model version
    (a promotion) or the settings version (a threshold, rule or terminal card). Refused while a later
    accepted card changed the same thing (it must be rolled back first); the other part is left alone."""
    rec = get(conn, rec_id, lock=True)
    if rec.status != "accepted":
        raise RecommendationConflict(f"Recommendation #{rec.id} is {rec.status.replace('_', ' ')}; only an accepted "
                                     "one can be rolled back.", id=rec.id)
    if not rec.reversible:
        raise RecommendationConflict(f"Recommendation #{rec.id} ({rec.kind}) changed no setting: there is nothing "
                                     "to roll back.", id=rec.id)
    part = rules.CHANGES[rec.kind]
    before, after = rec.before or {}, rec.after or {}
    if state(conn).get(part) != after.get(part):
        later = [r for r in listing(conn, "accepted", 1000) if r.id != rec.id and r.reversible
                 and rules.CHANGES[r.kind] == part and r.decided_at >= rec.decided_at]
        later.sort(key=lambda r: r.decided_at, reverse=True)  # the one in force first
        what = rules.WHAT[part]
        if later:
            first = later[0]
            raise RecommendationConflict(
                f"Roll back #{first.id} first: it changed {what} after #{rec.id} was accepted, and rolling back "
                f"#{rec.id} now would undo it too. Then roll back #{rec.id}.", id=rec.id, later=first.id)
        raise RecommendationConflict(f"Recommendation #{rec.id} cannot be rolled back: {what} changed since it was "
                                     "accepted (not through a recommendation), so the state it would restore is "
                                     "no longer the one it replaced.", id=rec.id)
    if part == "model":
        _set_model(conn, before.get("model"))
    else:
        versions.activate(conn, before.get("settings"))
    conn.execute(update(_RC).where(_RC.c.id == rec.id).values(status="rolled_back", rolled_back_at=now,
                                                             rolled_back_by=actor.username))
    publish(conn, RECOMMENDATION_UPDATED, {"id": rec.id, "status": "rolled_back"})
    return get(conn, rec_id)


def _require_open(rec: Rec) -> None:
    if rec.status != "open":
        who = f" by {rec.decided_by}" if rec.decided_by else ""
        raise RecommendationConflict(f"Recommendation #{rec.id} is already {rec.status.replace('_', ' ')}{who}; "
                                     "nothing changed.", id=rec.id)


def _decide(conn: Connection, rec: Rec, status: str, actor: Actor, now: datetime, *, reason: str | None = None,
            before: dict | None = None, after: dict | None = None) -> None:
    done = conn.execute(update(_RC).where(_RC.c.id == rec.id, _RC.c.status == "open").values(
        status=status, decided_at=now, decided_by=actor.username, reason=reason,
        before=json.dumps(before) if before is not None else None,
        after=json.dumps(after) if after is not None else None))
    if done.rowcount != 1:
        raise RecommendationConflict(f"Recommendation #{rec.id} was decided by someone else meanwhile; nothing "
                                     "changed.", id=rec.id)
    publish(conn, RECOMMENDATION_UPDATED, {"id": rec.id, "status": status})

