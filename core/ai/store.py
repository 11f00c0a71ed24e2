"""Recommendations in the database: stored per run, accepted, rejected and rolled back exactly.

Accepting records the model and settings versions active before and after (``before``/``after``); a
rollback makes the ``before`` state active again, and only while the ``after`` state is still the active
one (a later accepted change must be rolled back first), so a rollback never undoes someone else's change.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from core.ai.drafts import Draft
from core.errors import NotFound, QenexError, ValidationError
from core.events import RECOMMENDATION_CREATED, publish
from core.fraud import registry, versions
from core.fraud.config import FraudConfig
from core.persistence.models.ai import Recommendation
from core.persistence.models.fraud import FraudModel
from core.security.roles import Actor

_RC = Recommendation.__table__
MAX_REASON = 500
REVERSIBLE = ("promote", "threshold", "rule", "terminal")
RECOMMENDATION_UPDATED = "recommendation.updated"  # accepted, rejected or rolled back (live updates)


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

    @property
    def reversible(self) -> bool:
        return self.kind in REVERSIBLE

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if evidence or k != "evidence"}
        for k in ("created_at", "decided_at", "rolled_back_at"):
            data[k] = data[k].isoformat() if data[k] else None
        return data


def _rec(row: Any) -> Rec:
    return Rec(row.id, row.run_id, row.kind, row.subject, row.title, json.loads(row.change or "{}"),
               json.loads(row.evidence or "{}"), row.status, row.created_at, row.decided_at, row.decided_by,
               row.reason, json.loads(row.before) if row.before else None,
               json.loads(row.after) if row.after else None, row.rolled_back_at, row.rolled_back_by)


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


def get(conn: Connection, rec_id: int, *, lock: bool = False) -> Rec:
    q = select(_RC).where(_RC.c.id == rec_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    if row is None:
        raise NotFound(f"no recommendation #{rec_id}; list them with: qenex ai recommendations", id=rec_id)
    return _rec(row)


def listing(conn: Connection, status: str = "open", limit: int = 200) -> list[Rec]:
    q = select(_RC).order_by(_RC.c.id.desc()).limit(limit)
    if status == "decided":
        q = q.where(_RC.c.status.in_(("accepted", "rejected", "rolled_back")))
    elif status != "all":
        q = q.where(_RC.c.status == status)
    return [_rec(r) for r in conn.execute(q)]


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
    rec = get(conn, rec_id, lock=True)
    _require_open(rec)
    before = state(conn)
    made_for = rec.evidence.get("based_on", {}).get("model")
    if rec.kind == "threshold" and made_for != before["model"]:
        raise RecommendationConflict(
            f"recommendation #{rec.id} was computed for model {_v(made_for)} but model {_v(before['model'])} scores "
            "payments now; retrain to get a threshold (and shadow run) for the model in force", id=rec.id)
    if rec.kind == "promote":
        _set_model(conn, int(rec.change["model"]))
    elif rec.kind in ("threshold", "rule", "terminal"):
        current = versions.current(conn, base)
        versions.save(conn, current, rec.change["settings"], by=actor.username, note=f"recommendation #{rec.id}")
    after = {**state(conn), **({"retrain": started_run} if started_run is not None else {})}
    _decide(conn, rec, "accepted", actor, now, before=before, after=after)
    return get(conn, rec_id)


def reject(conn: Connection, actor: Actor, rec_id: int, reason: str, now: datetime) -> Rec:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("say why the recommendation is rejected (a reason is required)")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"the reason is {len(reason)} characters; keep it within {MAX_REASON}")
    rec = get(conn, rec_id, lock=True)
    _require_open(rec)
    _decide(conn, rec, "rejected", actor, now, reason=reason)
    return get(conn, rec_id)


def rollback(conn: Connection, actor: Actor, rec_id: int, now: datetime) -> Rec:
    """Make the state before the accept active again, exactly (model version and settings version)."""
    rec = get(conn, rec_id, lock=True)
    if rec.status != "accepted":
        raise RecommendationConflict(f"recommendation #{rec.id} is {rec.status.replace('_', ' ')}; only an accepted "
                                     "one can be rolled back", id=rec.id)
    if not rec.reversible:
        raise RecommendationConflict(f"recommendation #{rec.id} ({rec.kind}) changed no setting: nothing to roll back",
                                     id=rec.id)
    if state(conn) != rec.after:
        later = conn.scalar(select(_RC.c.id).where(_RC.c.status == "accepted", _RC.c.id != rec.id,
                                                   _RC.c.decided_at >= rec.decided_at).order_by(_RC.c.decided_at.desc()))
        hint = f"roll back recommendation #{later} first" if later else "the model or settings were changed since"
        raise RecommendationConflict(f"the fraud model or settings changed after recommendation #{rec.id} was "
                                     f"accepted; {hint}", id=rec.id)
    before = rec.before or {}
    _set_model(conn, before.get("model"))
    versions.activate(conn, before.get("settings"))
    conn.execute(update(_RC).where(_RC.c.id == rec.id).values(status="rolled_back", rolled_back_at=now,
                                                             rolled_back_by=actor.username))
    publish(conn, RECOMMENDATION_UPDATED, {"id": rec.id, "status": "rolled_back"})
    return get(conn, rec_id)


def _require_open(rec: Rec) -> None:
    if rec.status != "open":
        who = f" by {rec.decided_by}" if rec.decided_by else ""
        raise RecommendationConflict(f"recommendation #{rec.id} is already {rec.status.replace('_', ' ')}{who}; "
                                     "refresh the list", id=rec.id)


def _decide(conn: Connection, rec: Rec, status: str, actor: Actor, now: datetime, *, reason: str | None = None,
            before: dict | None = None, after: dict | None = None) -> None:
    done = conn.execute(update(_RC).where(_RC.c.id == rec.id, _RC.c.status == "open").values(
        status=status, decided_at=now, decided_by=actor.username, reason=reason,
        before=json.dumps(before) if before is not None else None,
        after=json.dumps(after) if after is not None else None))
    if done.rowcount != 1:
        raise RecommendationConflict(f"recommendation #{rec.id} was decided by someone else meanwhile; refresh the list",
                                     id=rec.id)
    publish(conn, RECOMMENDATION_UPDATED, {"id": rec.id, "status": status})


def _v(version: int | None) -> str:
    return "none" if version is None else f"v{version}"
