"""Concurrent claims from several processes on PostgreSQL: no alert is ever held by two analysts."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.cases.intake import NewAlert, raise_alert
from core.persistence.base import utcnow
from core.persistence.models import FraudAlert

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
DESKS = 4


@pytest.fixture
def engine(pg_engine):
    return pg_engine


def _alerts(engine, n: int) -> list[int]:
    """``n`` alerts in one transaction (claims need no ledger transfer behind them)."""
    with engine.begin() as conn:
        return [raise_alert(conn, NewAlert(f"t-{i}", 0.6 + i / 1000, "review", ("held",), ("amount_limit",), 1, 2,
                                           101_00, "USD", "online", "SHOP", None, "1:USD"), utcnow())
                for i in range(n)]


def test_desks_in_separate_processes_never_hold_the_same_alert(engine):
    """Four desks race to claim the same 30 alerts, then take Next until 60 more are gone."""
    raced = _alerts(engine, 90)
    contested, rest = raced[:30], raced[30:]
    url = engine.url.render_as_string(hide_password=False)
    procs = [subprocess.Popen([sys.executable, "-m", "tests.cases.claim_worker", url, f"analyst{i}",
                               *map(str, contested)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(DESKS)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:  # every desk is connected: start them together
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    wins = [a for r in results for a in r["raced"]]
    assert sorted(wins) == sorted(contested)  # each contested alert has exactly one winner
    assert sum(r["refused"] for r in results) == len(contested) * (DESKS - 1)
    taken = [a for r in results for a in r["next"]]
    assert sorted(taken) == sorted(rest)  # Next gave every other alert to exactly one desk
    with engine.connect() as conn:
        holders = dict(conn.execute(select(FraudAlert.id, FraudAlert.assignee)).all())
    for i, r in enumerate(results):
        assert {holders[a] for a in r["raced"] + r["next"]} <= {f"analyst{i}"}
    assert sum(1 for h in holders.values() if h) == len(raced)
