"""A retrain run whose desk died is ended at once (cancelled), not left "running" until the 2-hour limit:
the run records its owner (host, process id, heartbeat); a run owned by a dead process on this host, or
whose heartbeat stopped, is ended when the next desk starts, reads the last run or claims a new one; and a
desk killed mid-retrain takes its training process with it, which records the cancel itself."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core import child_process
from core.ai import runs
from core.ai.service import AiDesk
from core.persistence.base import utcnow
from core.security.roles import Actor, Role

SUPERVISOR = Actor("sam", Role.SUPERVISOR, 1)
ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set_owner(engine, run_id: int, **owner) -> None:  # noqa: ANN001, ANN003
    with engine.begin() as conn:
        conn.execute(update(runs._RUN).where(runs._RUN.c.id == run_id).values(summary=json.dumps({"owner": owner})))


def test_a_run_records_its_owner_and_a_live_one_blocks_the_next(sqlite_engine):
    run_id = runs.start(sqlite_engine, "sam", "demand")
    with sqlite_engine.connect() as conn:
        owner = json.loads(conn.scalar(select(runs._RUN.c.summary).where(runs._RUN.c.id == run_id)))["owner"]
    assert (owner["host"], owner["pid"]) == (socket.gethostname()[:64], os.getpid())
    with pytest.raises(runs.RunInProgress):
        runs.start(sqlite_engine, "ann", "demand")
    runs.heartbeat(sqlite_engine, run_id)
    assert AiDesk(sqlite_engine).end_abandoned_runs() == []


def test_a_run_whose_desk_process_died_on_this_host_is_ended_at_once(sqlite_engine):
    desk = AiDesk(sqlite_engine)
    run_id = runs.start(sqlite_engine, "sam", "demand")
    pid = _dead_pid()
    _set_owner(sqlite_engine, run_id, host=socket.gethostname()[:64], pid=pid, beat=utcnow().isoformat())
    with sqlite_engine.connect() as conn:
        assert runs.due(conn, utcnow(), 3600) is False  # the last run started a moment ago ...
    run = desk.last_run(SUPERVISOR)  # ... but it is no longer "running": reading it ends it
    assert run["status"] == "cancelled" and run["finished_at"]
    assert run["summary"]["error"] == (f"its desk (process {pid} on {socket.gethostname()[:64]}) ended before the "
                                       "retrain finished")
    assert runs.start(sqlite_engine, "ann", "demand") > run_id  # a new run may start at once


def test_a_run_whose_heartbeat_stopped_on_another_host_is_ended_when_the_next_claims(sqlite_engine):
    run_id = runs.start(sqlite_engine, "sam", "demand")
    stale = (utcnow() - runs.DEAD_AFTER - timedelta(seconds=5)).isoformat()
    _set_owner(sqlite_engine, run_id, host="desk-elsewhere", pid=1, beat=stale)
    later = runs.start(sqlite_engine, "ann", "demand")
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(runs._RUN).where(runs._RUN.c.id == run_id)).first()
    assert row.status == "cancelled" and "its desk (desk-elsewhere) stopped reporting" in row.summary
    fresh = utcnow().isoformat()
    _set_owner(sqlite_engine, later, host="desk-elsewhere", pid=1, beat=fresh)
    with pytest.raises(runs.RunInProgress):  # a beating owner elsewhere still holds its run
        runs.start(sqlite_engine, "tom", "demand")


def test_pid_alive():
    assert child_process.pid_alive(os.getpid())
    assert not child_process.pid_alive(_dead_pid())
    assert not child_process.pid_alive(0)


DESK = """
import sys
from core.ai.service import AiDesk
from core.persistence.db import make_engine
from core.security.roles import Actor, Role
engine = make_engine(sys.argv[1])
def progress(done, total, label):
    if label.startswith("training a challenger"):
        print("training", flush=True)
AiDesk(engine).retrain(Actor("sam", Role.SUPERVISOR, 1), progress=progress)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the desk with SIGKILL (POSIX)")
def test_a_desk_killed_mid_retrain_takes_its_child_along_and_the_run_ends_cancelled(sqlite_engine, tmp_path):
    from .stream import seeded

    seeded(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    desk = subprocess.Popen([sys.executable, "-c", DESK, url], stdout=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert desk.stdout.readline().strip() == b"training"
        desk.kill()  # as a crash or `kill -9` would: no cleanup in the desk
        desk.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite_engine.connect() as conn:
                status, summary = conn.execute(select(runs._RUN.c.status, runs._RUN.c.summary)
                                               .order_by(runs._RUN.c.id.desc()).limit(1)).one()
            if status != "running":
                break
            time.sleep(0.2)
        assert status == "cancelled"  # recorded by the orphaned child as it stopped, seconds after the kill
        assert json.loads(summary)["error"].startswith("its desk ended before the retrain finished")
    finally:
        if desk.poll() is None:
            desk.kill()
