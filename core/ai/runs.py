"""One retrain-and-review run: replay the history, train a challenger on every label known so far, evaluate
it against the champion, measure drift, terminal spikes and rule noise, and store the recommendations.

Posting never waits for it: the run works in a spawned child process at a lower CPU priority
(``core.child_process``; ``execute``), so the desk's process keeps its interpreter lock and most of the CPU;
the history is read in one short read transaction, training and evaluation touch no table, and the
challenger is registered inactive (the champion keeps scoring until a supervisor promotes it). Runs are
recorded in ``ai_runs``; one runs at a time across desks.
Cancel stops the child at once (``progress`` raises, as the console's ``Task.step`` raises ``Cancelled``)
and the run is recorded as cancelled; a run never stays "running" after ``execute`` returns or raises.

A run whose desk died (killed, crashed, the machine lost power) is recognised at once, not after hours: a
running run records its owner in its summary (``owner``: host, process id, and a heartbeat the parent writes
every ``HEARTBEAT`` seconds). ``reap`` (called by ``claim``, by the desk's start-up and when the last run is
read) ends as *cancelled* a run whose owner process is gone on this host, whose heartbeat is older than
``DEAD_AFTER`` (another host), or that started more than ``STALE_AFTER`` ago (older rows without an owner).
The child itself stops when its parent ends (``core.child_process.ParentGone``) and records the cancel.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, select, update

from core import child_process
from core.ai import capacity as capacity_mod
from core.ai import dataset, drafts, drift, rulestats, spikes, store
from core.ai.evaluate import evaluate
from core.errors import ConfigurationError, NotFound, QenexError
from core.events import RECOMMENDATION_RUN, publish
from core.fraud import registry, versions
from core.fraud.config import FraudConfig
from core.persistence.base import utcnow
from core.persistence.models.ai import AiRun, Recommendation
from core.words import counted

log = logging.getLogger(__name__)

DEFAULT_FREQUENCY = 3600
STALE_AFTER = timedelta(hours=2)  # longest a run may take, whoever owns it
HEARTBEAT = 30.0  # seconds between the owner's "still running" writes
DEAD_AFTER = timedelta(minutes=3)  # a run whose owner has not written for this long is abandoned (any host)
STEPS = 100  # progress is reported in percent
_RUN = AiRun.__table__
_RC = Recommendation.__table__
Progress = Callable[[int, int, str], None]


class RunInProgress(QenexError):
    code = "busy"


@dataclass(frozen=True)
class RunResult:
    run_id: int
    status: str
    challenger: int | None  # the registered challenger's version (only when it beats the champion)
    recommendations: list[int] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"run": self.run_id, "status": self.status, "challenger": self.challenger,
                "recommendations": self.recommendations, "summary": self.summary}


def update_frequency(env: Mapping[str, str] | None = None) -> int:
    """QENEX_MODEL_UPDATE_FREQUENCY in seconds (default 3600; 60 to 30 days)."""
    raw = (env if env is not None else os.environ).get("QENEX_MODEL_UPDATE_FREQUENCY", "").strip()
    if not raw:
        return DEFAULT_FREQUENCY
    if not raw.isdigit() or not 60 <= int(raw) <= 30 * 86_400:
        raise ConfigurationError(f"QENEX_MODEL_UPDATE_FREQUENCY must be whole seconds between 60 and 2592000, got {raw!r}")
    return int(raw)


def last_run(conn: Connection) -> dict | None:
    row = conn.execute(select(_RUN).order_by(_RUN.c.started_at.desc(), _RUN.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return {"id": row.id, "trigger": row.trigger, "started_by": row.started_by, "status": row.status,
            "started_at": row.started_at.isoformat(), "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "challenger": row.challenger, "summary": json.loads(row.summary or "{}")}


def owner() -> dict:
    """This process as a run's owner: host and process id, and the time of its last heartbeat."""
    return {"host": socket.gethostname()[:64], "pid": os.getpid(), "beat": utcnow().isoformat()}


def abandoned(row, now: datetime) -> str | None:  # noqa: ANN001 - an ai_runs row (status, started_at, summary)
    """Why a running run is known to be dead (words for its record), or None while its owner may still run it."""
    if now - row.started_at >= STALE_AFTER:
        return f"abandoned: no end recorded within {STALE_AFTER.total_seconds() / 3600:g} hours"
    try:
        who = json.loads(row.summary or "{}").get("owner") or {}
    except ValueError:
        who = {}
    if not who:
        return None
    if who.get("host") == socket.gethostname()[:64] and not child_process.pid_alive(int(who.get("pid") or 0)):
        return f"its desk (process {who.get('pid')} on {who.get('host')}) ended before the retrain finished"
    try:
        beat = datetime.fromisoformat(who["beat"])
    except (KeyError, TypeError, ValueError):
        return None
    if utcnow() - beat >= DEAD_AFTER:  # the wall clock: the heartbeat is written with it, not a test's clock
        return (f"its desk ({who.get('host')}) stopped reporting at {beat:%H:%M:%S} UTC (nothing for "
                f"{int(DEAD_AFTER.total_seconds() // 60)} minutes), so the retrain cannot finish")
    return None


def reap(conn: Connection, now: datetime) -> list[int]:
    """End as cancelled every running run that is known to be dead (``abandoned``); returns their ids."""
    ended = []
    for r in conn.execute(select(_RUN.c.id, _RUN.c.started_at, _RUN.c.summary).where(_RUN.c.status == "running")).all():
        why = abandoned(r, now)
        if why is None:
            continue
        done = conn.execute(update(_RUN).where(_RUN.c.id == r.id, _RUN.c.status == "running").values(
            status="cancelled", finished_at=now, summary=json.dumps({"error": why})))
        if done.rowcount:
            ended.append(r.id)
            publish(conn, RECOMMENDATION_RUN, {"run": r.id, "status": "cancelled"})
    return ended


def reap_engine(engine: Engine, now: datetime | None = None) -> list[int]:
    """``reap`` in its own short transaction, writing only when a dead run is found (desk start-up, reads)."""
    now = now or utcnow()
    with engine.connect() as conn:
        rows = conn.execute(select(_RUN.c.id, _RUN.c.started_at, _RUN.c.summary)
                            .where(_RUN.c.status == "running")).all()
    if not any(abandoned(r, now) for r in rows):
        return []
    with engine.begin() as conn:
        return reap(conn, now)


def heartbeat(engine: Engine, run_id: int) -> None:
    """The owner's "still running" (every HEARTBEAT seconds from ``execute``); a failed write is only logged."""
    try:
        with engine.begin() as conn:
            conn.execute(update(_RUN).where(_RUN.c.id == run_id, _RUN.c.status == "running")
                         .values(summary=json.dumps({"owner": owner()})))
    except Exception as err:  # noqa: BLE001 - a busy database delays one beat; DEAD_AFTER allows several
        log.info("retrain #%s: heartbeat not written: %s", run_id, err)


def due(conn: Connection, now: datetime, frequency: int) -> bool:
    """Whether a scheduled run is due: none started within ``frequency`` seconds (and none running)."""
    last = conn.execute(select(_RUN.c.started_at, _RUN.c.status, _RUN.c.summary)
                        .order_by(_RUN.c.started_at.desc()).limit(1)).first()
    if last is None:
        return True
    if last.status == "running" and abandoned(last, now) is None:
        return False
    return now - last.started_at >= timedelta(seconds=frequency)


def start(engine: Engine, by: str, trigger: str, now: datetime | None = None) -> int:
    """Claim the run (RunInProgress if another is running) and return its id."""
    with engine.begin() as conn:
        return claim(conn, by, trigger, now or utcnow())


def claim(conn: Connection, by: str, trigger: str, now: datetime) -> int:
    """``start`` in the caller's transaction (accepting a drift card claims its run with the accept)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7423006)")
    reap(conn, now)  # a run whose desk died is ended here, not counted as running
    running = conn.execute(select(_RUN.c.id, _RUN.c.started_by, _RUN.c.started_at)
                           .where(_RUN.c.status == "running")).first()
    if running is not None:
        r = running
        raise RunInProgress(f"A retrain is already running (#{r.id}, started by {r.started_by} at "
                            f"{r.started_at:%H:%M} UTC); wait for it to finish.", run=r.id, by=r.started_by)
    inserted = conn.execute(_RUN.insert().values(trigger=trigger, started_by=by[:64], started_at=now,
                                                 status="running", summary=json.dumps({"owner": owner()})))
    run_id = int(inserted.inserted_primary_key[0])
    publish(conn, RECOMMENDATION_RUN, {"run": run_id, "status": "running", "by": by[:64], "trigger": trigger})
    return run_id


def _finish(engine: Engine, run_id: int, status: str, summary: dict) -> None:
    """Record how a run ended unless it already has an end (the child recorded it, or it finished)."""
    with engine.begin() as conn:
        done = conn.execute(update(_RUN).where(_RUN.c.id == run_id, _RUN.c.status == "running").values(
            status=status, finished_at=utcnow(), summary=json.dumps(summary, default=str)))
        if done.rowcount:
            publish(conn, RECOMMENDATION_RUN, {"run": run_id, "status": status})


def _announce(engine: Engine, run_id: int, status: str) -> None:
    """Tell this process's desks that a run ended (the child's own event reaches only PostgreSQL and Redis
    listeners: on SQLite the bus is this process's)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        publish(conn, RECOMMENDATION_RUN, {"run": run_id, "status": status})


def result(engine: Engine, run_id: int) -> RunResult:
    """A run as recorded: its status, challenger, recommendations (in the order stored) and summary."""
    with engine.connect() as conn:
        row = conn.execute(select(_RUN).where(_RUN.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"No retrain run #{run_id}.", run=run_id)
        ids = list(conn.scalars(select(_RC.c.id).where(_RC.c.run_id == run_id).order_by(_RC.c.id)))
    return RunResult(row.id, row.status, row.challenger, ids, json.loads(row.summary or "{}"))


def execute(engine: Engine, run_id: int, base: FraudConfig, *, by: str, progress: Progress = lambda d, t, s: None,
            candidates: tuple[str, ...] = ("hgb", "logistic")) -> RunResult:
    """Do the run claimed by ``start`` in a spawned child process at a lower CPU priority; the child records
    the outcome in the database (``execute_here``) and it is read back from there.

    ``progress(done, total, label)`` (percent) gets the child's steps and is called again with the last one
    about every ``child_process.POLL`` seconds meanwhile: when it raises (``Cancelled``), the child is
    terminated at once, the run is recorded as cancelled and the error propagates. A core error in the run
    (e.g. ValidationError: nothing to learn from) is raised as it was; a child that crashed is
    ``ChildFailed``; one that could not be started ``ChildUnavailable`` (the run then recorded as failed).
    A cancel that comes after the child stored its results returns them (the run had finished)."""
    last = [0, STEPS, "starting the training process"]

    def relay(done: int, total: int, label: str) -> None:
        last[:] = [done, total, label]
        progress(done, total, label)

    url = engine.url.render_as_string(hide_password=False)
    beaten = [time.monotonic()]

    def beat(_seconds: float) -> None:
        progress(*last)  # a cancel raises here
        if time.monotonic() - beaten[0] >= HEARTBEAT:
            beaten[0] = time.monotonic()
            heartbeat(engine, run_id)

    try:
        progress(*last)
        child_process.run(_in_child, (url, run_id, base, by, tuple(candidates)), name=f"qenex-retrain-{run_id}",
                          what=f"retrain #{run_id}", progress=relay, beat=beat)
    except BaseException as err:
        cancelled = _is_cancel(err)
        _finish(engine, run_id, "cancelled" if cancelled else "failed", {"error": _words(err)})
        if cancelled and not isinstance(err, KeyboardInterrupt):
            finished = result(engine, run_id)
            if finished.status == "done":
                return finished
        raise
    finished = result(engine, run_id)
    _announce(engine, run_id, finished.status)
    return finished


def _in_child(url: str, run_id: int, base: FraudConfig, by: str, candidates: tuple[str, ...],
              report: Progress) -> str:
    """The child process's side of ``execute``."""
    from core.persistence.db import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        return execute_here(engine, run_id, base, by=by, progress=report, candidates=candidates).status
    finally:
        engine.dispose()


def execute_here(engine: Engine, run_id: int, base: FraudConfig, *, by: str,
                 progress: Progress = lambda d, t, s: None,
                 candidates: tuple[str, ...] = ("hgb", "logistic")) -> RunResult:
    """The run in this process (the child's work; tests compare it with ``execute``); records how it ended
    whatever happens. Cancellation is cooperative here: ``progress`` may raise."""
    try:
        return _execute(engine, run_id, base, by, progress, candidates)
    except BaseException as err:
        _finish(engine, run_id, "cancelled" if _is_cancel(err) else "failed", {"error": _words(err)})
        raise


def _is_cancel(err: BaseException) -> bool:
    return type(err).__name__ == "Cancelled" or isinstance(err, KeyboardInterrupt)


def _words(err: BaseException) -> str:
    if isinstance(err, child_process.ParentGone):
        return "its desk ended before the retrain finished (the training process stopped with it)"
    if _is_cancel(err):
        return "cancelled"
    message = err.message if isinstance(err, QenexError) else f"{type(err).__name__}: {err}"
    return str(message)[:500]


def _execute(engine: Engine, run_id: int, base: FraudConfig, by: str, progress: Progress,
             candidates: tuple[str, ...]) -> RunResult:
    progress(0, STEPS, "reading the payment history")
    now = utcnow()

    def replayed(i: int, n: int) -> None:
        progress(40 * i // max(n, 1), STEPS, f"replaying payments through the features: {i:,} of {n:,}")

    with engine.connect() as conn:  # one short read that never takes SQLite's write lock (core.persistence.db)
        conn.execution_options(qenex_read_only=True)
        config = versions.current(conn, base)
        settings_version = versions.active_version(conn)
        champion_version = registry.active_version(conn)
        champion = registry.load(conn, champion_version) if champion_version is not None else None
        cap = capacity_mod.measure(conn, now)
        rule_stats = rulestats.collect(conn, now)
        txns, frauds = dataset.read(conn)
    data = dataset.build(txns, frauds, base.label_delay_days, replayed)  # minutes on a big history: no connection
    progress(40, STEPS, f"training a challenger on {counted(len(data), 'payment')} "
                        f"({counted(int(data.y.sum()), 'fraud')})")
    ev = evaluate(data, champion, config, cap.per_day, candidates=candidates, check=lambda: progress(70, STEPS, "evaluating both models on the held-out days"))
    progress(70, STEPS, "scoring with the champion")
    champion_scores = dataset.scores(champion, data, config)
    progress(80, STEPS, "measuring drift")
    drifts = drift.weekly(data, champion_scores)
    progress(85, STEPS, "looking for terminal spikes and noisy rules (shadow runs)")
    found: list[drafts.Draft] = []
    held: list[str] = []  # cards whose shadow run shows no measurable change: not proposed, listed in the summary
    if champion is not None and cap.measured:  # capacity is known only from dispositions
        t = drafts.threshold(data, champion_scores, config, cap, held)
        if t is not None:
            found.append(t)
    for stat in rulestats.noisy(rule_stats):
        r = drafts.rule(stat, data, champion_scores, config, held)
        if r is not None:
            found.append(r)
    found += [t for t in (drafts.terminal(s, data, champion_scores, config, held) for s in spikes.find(data)
                          if s.counterparty not in config.blocked_counterparties) if t is not None]
    found += [drafts.drift(d) for d in drift.significant(drifts)]
    progress(95, STEPS, "storing the recommendations")  # the last point where Cancel stops the run
    values = versions.plain(config)
    challenger = None
    if ev.better():
        info = registry.register(engine, ev.trained, actor_name=by, label_delay_days=base.label_delay_days,
                                 activate=False, trained_from=_utc(ev.train_from), trained_to=_utc(ev.train_to))
        challenger = info.version
        found.insert(0, drafts.promote(ev, challenger))
    for d in found:  # the versions (and the values it changes) the figures and shadow runs were computed with
        d.evidence["based_on"] = {"model": champion_version, "settings": settings_version,
                                  "values": {k: values.get(k) for k in (d.change.get("settings") or {})}}
    summary = {"payments": len(data), "frauds": int(data.y.sum()), "capacity": cap.__dict__,
               "evaluation": {k: v for k, v in ev.to_dict().items() if k not in ("challenger_metrics",)},
               "drift": {d.name: d.psi for d in drifts[:10]}, "champion": champion_version}
    for side in ("champion", "challenger"):
        if summary["evaluation"].get(side):
            summary["evaluation"][side] = {k: v for k, v in summary["evaluation"][side].items() if k != "curve"}
    with engine.begin() as conn:  # short: a few inserts
        found, repeated = store.repeats(conn, found, utcnow())
        summary["not_proposed_again"] = [d.title for d in repeated]  # rejected or rolled back, evidence alike
        summary["no_measurable_change"] = held
        ids = store.store(conn, run_id, found, utcnow())
        conn.execute(update(_RUN).where(_RUN.c.id == run_id).values(
            status="done", finished_at=utcnow(), challenger=challenger, summary=json.dumps(summary, default=str)))
        publish(conn, RECOMMENDATION_RUN, {"run": run_id, "status": "done"})
    return RunResult(run_id, "done", challenger, ids, summary)


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)
