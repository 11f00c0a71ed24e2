"""The retrain runs in a spawned child process (issue 12: posting never waits): the same outcome as the run in
this process, Cancel stops the child at once, and a child that fails or cannot start says so in plain words
and leaves no run "running"."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal

import pytest
from sqlalchemy import select

from app.tasks import Cancelled
from core.ai import runs
from core.ai.service import AiDesk
from core.child_process import ChildFailed, ChildUnavailable
from core.errors import ValidationError
from core.fraud import registry
from core.persistence.db import make_engine
from core.persistence.models import AuditEntry
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import Actor, Role

from .stream import seeded

SUPERVISOR = Actor("sam", Role.SUPERVISOR, 1)


def _retrain_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name.startswith("qenex-retrain-")]


def _twin(engine, tmp_path):  # noqa: ANN001, ANN202
    """A SQLite copy of ``engine``'s bank (seeded the same way) for the run in this process."""
    twin = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    from core.persistence import migrate

    migrate.upgrade(twin)
    seeded(twin)
    return twin


def test_the_child_run_matches_the_run_in_this_process(engine, tmp_path):
    seeded(engine)
    twin = _twin(engine, tmp_path)
    here = runs.execute_here(twin, runs.start(twin, "sam", "demand"), AiDesk(twin).base, by="sam")
    with twin.connect() as conn:
        here_recs = [(r.kind, r.subject, r.title) for r in conn.execute(
            select(runs._RC).where(runs._RC.c.run_id == here.run_id).order_by(runs._RC.c.id))]
    twin.dispose()

    desk = AiDesk(engine, AuditTrail(AuditKeys(tmp_path / "audit.key")))
    seen: list[tuple[int, str]] = []
    child = desk.retrain(SUPERVISOR, progress=lambda d, t, s: seen.append((d, s)))
    assert (child.status, child.challenger) == ("done", 2) == (here.status, here.challenger)
    recs = desk.recommendations(SUPERVISOR)
    assert [(r.kind, r.subject, r.title) for r in reversed(recs)] == here_recs  # the same cards, the same figures
    assert child.recommendations == [r.id for r in reversed(recs)] and recs[-1].kind == "promote"
    assert child.summary == json.loads(json.dumps(here.summary, default=str))
    with engine.connect() as conn:
        assert registry.active_version(conn) == 1  # the challenger is registered inactive
        assert registry.info(conn, 2).version == 2
        assert conn.scalar(select(AuditEntry.action).where(AuditEntry.action == "ai.retrain")) == "ai.retrain"
    labels = [s for _d, s in seen]
    assert labels[0] == "starting the training process" and "storing the recommendations" in labels
    assert max(d for d, _s in seen) == 95
    assert _retrain_children() == []


def test_cancel_stops_the_child_at_once(sqlite_engine, tmp_path):
    seeded(sqlite_engine)
    desk = AiDesk(sqlite_engine)
    pids = []

    def progress(done: int, total: int, label: str) -> None:
        if label.startswith("training a challenger"):
            pids.extend(p.pid for p in _retrain_children())
            raise Cancelled()

    with pytest.raises(Cancelled):
        desk.retrain(SUPERVISOR, progress=progress)
    assert len(pids) == 1 and _retrain_children() == []
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # gone, not left training
    run = desk.last_run(SUPERVISOR)
    assert run["status"] == "cancelled" and run["finished_at"]
    with sqlite_engine.connect() as conn:
        assert registry.active_version(conn) == 1
        assert [m.version for m in registry.list_models(conn)] == [1]  # stopped before it registered anything
    assert desk.retrain(SUPERVISOR).status == "done"  # nothing left claimed


def test_a_refusal_in_the_child_is_raised_as_it_was_and_the_run_is_failed(sqlite_engine):
    desk = AiDesk(sqlite_engine)  # no payments at all
    with pytest.raises(ValidationError, match="No posted customer payments yet: nothing to learn from"):
        desk.retrain(SUPERVISOR)
    run = desk.last_run(SUPERVISOR)
    assert run["status"] == "failed" and "nothing to learn from" in run["summary"]["error"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the child with SIGKILL (POSIX)")
def test_a_child_that_dies_is_reported_in_plain_words(sqlite_engine):
    seeded(sqlite_engine)
    desk = AiDesk(sqlite_engine)

    def progress(done: int, total: int, label: str) -> None:
        if label.startswith("training a challenger"):
            for child in _retrain_children():
                os.kill(child.pid, signal.SIGKILL)  # as the out-of-memory killer would

    with pytest.raises(ChildFailed) as caught:
        desk.retrain(SUPERVISOR, progress=progress)
    run = desk.last_run(SUPERVISOR)
    assert caught.value.message == (f"retrain #{run['id']} stopped unexpectedly (its process ended with exit code "
                                    f"{-signal.SIGKILL}, without a result)")
    assert run["status"] == "failed" and run["summary"]["error"] == caught.value.message
    assert desk.retrain(SUPERVISOR).status == "done"  # not stuck "running"


def test_a_child_that_cannot_start_is_reported_in_plain_words(sqlite_engine, monkeypatch):
    seeded(sqlite_engine)
    desk = AiDesk(sqlite_engine)

    def refuse(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.get_context("spawn"), "Process", refuse)
    with pytest.raises(ChildUnavailable, match=r"could not start a separate process for retrain #\d+ \(OSError: "
                                               r"\[Errno 12\] Cannot allocate memory\); check that the machine"):
        desk.retrain(SUPERVISOR)
    run = desk.last_run(SUPERVISOR)
    assert run["status"] == "failed" and run["summary"]["error"].startswith("could not start a separate process")

