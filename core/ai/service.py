"""``AiDesk``: what a supervisor does with the self-improving loop, permission-checked and audited in core.

- ``retrain`` (model.train): a run on demand (``runs``), or ``retrain_if_due`` on the schedule;
- ``recommendations`` (recommendation.act: supervisors only, like every action below): the open cards,
  or the decided ones;
- ``accept`` applies the change at once; accepting a drift card starts a retrain (its remedy: a challenger
  trained on the latest labels, and fresh cards; it also needs model.train); ``reject`` needs a reason;
  ``rollback`` restores exactly the model and settings versions active before the accept. Each is audited
  in its own transaction (``ai.accept``, ``ai.reject``, ``ai.rollback``; a drift accept with ``ai.retrain``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from core.ai import runs, store
from core.ai.runs import Progress, RunResult
from core.ai.store import Rec
from core.fraud import versions
from core.fraud.config import FraudConfig
from core.persistence.base import utcnow
from core.security import guard
from core.security.roles import Actor, Permission


class AiDesk:
    """Over one engine; ``base`` is the screen's base FraudConfig (versions apply on top of it)."""

    def __init__(self, engine: Engine, audit=None, *, base: FraudConfig | None = None,  # noqa: ANN001
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.audit = audit
        self.base = base or FraudConfig()
        self.clock = clock

    def _authorize(self, actor: Actor, permission: Permission, target: str = "") -> None:
        guard.authorize(self.engine, self.audit, actor, permission, target)

    def _audit(self, conn, actor: Actor, action: str, rec: Rec, before: dict | None, after: dict | None) -> None:  # noqa: ANN001
        if self.audit is not None:
            self.audit.append(conn, actor, action, f"recommendation:{rec.id}", _figures(before), _figures(after))

    # -- runs -----------------------------------------------------------------------------------------------
    def retrain(self, actor: Actor, *, progress: Progress = lambda d, t, s: None, trigger: str = "demand",
                candidates: tuple[str, ...] = ("hgb", "logistic")) -> RunResult:
        """Train a challenger now and refresh the recommendations (RunInProgress if one is running)."""
        self._authorize(actor, Permission.MODEL_TRAIN, "ai:retrain")
        run_id = runs.start(self.engine, actor.username, trigger, self.clock())
        if self.audit is not None:
            with self.engine.begin() as conn:
                self.audit.append(conn, actor, "ai.retrain", f"run:{run_id}", None, {"trigger": trigger})
        return runs.execute(self.engine, run_id, self.base, by=actor.username, progress=progress,
                            candidates=candidates)

    def retrain_if_due(self, actor: Actor, frequency: int | None = None, *,
                       progress: Progress = lambda d, t, s: None) -> RunResult | None:
        """The scheduled run: only when none started in the last ``frequency`` seconds (QENEX_MODEL_UPDATE_FREQUENCY)."""
        frequency = frequency or runs.update_frequency()
        self.end_abandoned_runs()
        with self.engine.connect() as conn:
            if not runs.due(conn, self.clock(), frequency):
                return None
        try:
            return self.retrain(actor, progress=progress, trigger="schedule")
        except runs.RunInProgress:
            return None

    def end_abandoned_runs(self) -> list[int]:
        """End as cancelled the runs whose desk died (``runs.reap``): a desk's start-up and the schedule's
        minute check call it; upkeep, not a decision, so no permission is asked. Returns their ids."""
        return runs.reap_engine(self.engine, self.clock())

    def run(self, actor: Actor, run_id: int) -> RunResult:
        """One run as recorded (NotFound for an unknown id)."""
        self._authorize(actor, Permission.RECOMMENDATION_ACT, f"run:{run_id}")
        return runs.result(self.engine, run_id)

    def last_run(self, actor: Actor) -> dict | None:
        self._authorize(actor, Permission.RECOMMENDATION_VIEW, "ai:runs")
        runs.reap_engine(self.engine, self.clock())  # a run whose desk died reads as ended, not running
        with self.engine.connect() as conn:
            return runs.last_run(conn)

    # -- recommendations -------------------------------------------------------------------------------------
    def recommendations(self, actor: Actor, status: str = "open") -> list[Rec]:
        self._authorize(actor, Permission.RECOMMENDATION_VIEW, "ai:recommendations")
        with self.engine.connect() as conn:
            return store.listing(conn, status, base=self.base)

    def get(self, actor: Actor, rec_id: int) -> Rec:
        self._authorize(actor, Permission.RECOMMENDATION_VIEW, f"recommendation:{rec_id}")
        with self.engine.connect() as conn:
            return store.get(conn, rec_id, base=self.base)

    def changes(self, actor: Actor) -> tuple:
        """A cheap fingerprint of the cards, runs and versions in force (``store.fingerprint``): the console
        polls it where live updates cannot reach (SQLite, changed from the command line)."""
        self._authorize(actor, Permission.RECOMMENDATION_VIEW, "ai:changes")
        with self.engine.connect() as conn:
            return store.fingerprint(conn)

    def state(self, actor: Actor) -> dict:
        """The model and settings versions in force, with the settings' values."""
        self._authorize(actor, Permission.RECOMMENDATION_VIEW, "ai:state")
        with self.engine.connect() as conn:
            now = store.state(conn)
            return {**now, "values": versions.plain(versions.current(conn, self.base))}

    def accept(self, actor: Actor, rec_id: int, *, progress: Progress = lambda d, t, s: None) -> Rec:
        """Apply the recommendation. A drift card has nothing to apply: accepting it (model.train too) claims a
        retrain run in the same transaction (RunInProgress, and the card stays open, when one is running),
        then does the run (minutes on a big history; ``progress`` as for ``retrain``: it may raise to cancel
        the run, the card staying accepted). The card's ``after`` names the run (``{"retrain": id, ...}``);
        its outcome: ``run(actor, id)``."""
        self._authorize(actor, Permission.RECOMMENDATION_ACT, f"recommendation:{rec_id}")
        with self.engine.connect() as conn:
            drift = store.get(conn, rec_id).kind == "drift"  # a card's kind never changes
        if drift:
            self._authorize(actor, Permission.MODEL_TRAIN, f"recommendation:{rec_id}")
        run_id = None
        with self.engine.begin() as conn:
            if drift:
                run_id = runs.claim(conn, actor.username, "drift", self.clock())
            rec = store.accept(conn, actor, rec_id, self.base, self.clock(), started_run=run_id)
            self._audit(conn, actor, "ai.accept", rec, rec.before, {**(rec.after or {}), "kind": rec.kind,
                                                                     "title": rec.title, "change": rec.change})
            if run_id is not None and self.audit is not None:
                self.audit.append(conn, actor, "ai.retrain", f"run:{run_id}", None,
                                  {"trigger": "drift", "recommendation": rec.id})
        if run_id is not None:
            runs.execute(self.engine, run_id, self.base, by=actor.username, progress=progress)
        return rec

    def reject(self, actor: Actor, rec_id: int, reason: str) -> Rec:
        self._authorize(actor, Permission.RECOMMENDATION_ACT, f"recommendation:{rec_id}")
        with self.engine.begin() as conn:
            rec = store.reject(conn, actor, rec_id, reason, self.clock())
            self._audit(conn, actor, "ai.reject", rec, None, {"kind": rec.kind, "title": rec.title,
                                                              "reason": rec.reason})
        return rec

    def rollback(self, actor: Actor, rec_id: int) -> Rec:
        self._authorize(actor, Permission.RECOMMENDATION_ACT, f"recommendation:{rec_id}")
        with self.engine.begin() as conn:
            rec = store.rollback(conn, actor, rec_id, self.clock())
            self._audit(conn, actor, "ai.rollback", rec, rec.after, {**(rec.before or {}), "kind": rec.kind,
                                                                     "title": rec.title})
        return rec


def _figures(values: Any) -> Any:
    """A card's settings as the audit shows money: the amount limits (kept in minor units in the fraud
    configuration) as decimals per currency (``{"USD": "10000.00"}``, ``core.ledger.money.plain``)."""
    from core.ledger.money import plain

    if isinstance(values, dict):
        return {k: ({c: plain(v, c) if isinstance(v, int) else v for c, v in v.items()}
                    if k == "amount_limits" and isinstance(v, dict) else _figures(v)) for k, v in values.items()}
    return values

