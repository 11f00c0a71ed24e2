"""What cash through a drawer and the standing-instruction job cost a desk, against the plain paths.

    python benchmarks/drawer.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--n 200] [--rounds 3]

The desk's composition (``Services.build``: audit trail, fraud screen, four eyes) over SQLite (a temporary file)
and PostgreSQL (a throw-away database). Measured in alternating rounds, medians reported:

- cash: ``Drawers.deposit`` (through the teller's open drawer: session check, drawer GL account) against
  ``Ledger.deposit`` (the bank's teller cash account), per deposit;
- standing: ``StandingOrders.run_due`` over ``n`` new instructions due today (one screened posting and one run
  row each, in one transaction), per run, against a plain ``Ledger.transfer`` between the same accounts.

Figures from a loaded machine are not representative; the load average is printed with them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from core.approvals import Approvals, Policy
from core.drawers.limits import DrawerLimits
from core.drawers.service import Drawers
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.teller.standing import StandingOrders

TELLER = Actor("bench.teller", Role.TELLER, device="bench")


def _run(url: str, n: int, rounds: int, key_dir: Path) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    ledger = Ledger(engine, audit=AuditTrail(AuditKeys(key_dir / "audit.key")), screen=FraudScreen(engine))
    ledger.four_eyes = Approvals(ledger, Policy())
    drawers, standing = Drawers(ledger, DrawerLimits.from_env({})), StandingOrders(ledger)
    accounts = [ledger.open_account(SYSTEM_ACTOR, ledger.add_customer(SYSTEM_ACTOR, f"C{i}").id, "USD").number
                for i in range(2)]
    ledger.deposit(SYSTEM_ACTOR, accounts[0], 10**12, "USD")
    drawers.open(TELLER, "B1", "USD", {100_00: 10})
    times: dict[str, list[float]] = {k: [] for k in ("teller_cash", "drawer", "transfer", "standing")}
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            ledger.deposit(TELLER, accounts[1], 1, "USD")
        times["teller_cash"].append((time.perf_counter() - start) / n * 1000)
        start = time.perf_counter()
        for _ in range(n):
            drawers.deposit(TELLER, accounts[1], 1, "USD")
        times["drawer"].append((time.perf_counter() - start) / n * 1000)
        start = time.perf_counter()
        for _ in range(n):
            ledger.transfer(SYSTEM_ACTOR, TransferRequest(uuid.uuid4().hex, accounts[0], accounts[1], 1, "USD",
                                                          code="standing", channel="transfer"))
        times["transfer"].append((time.perf_counter() - start) / n * 1000)
        for _ in range(n):  # n new instructions due today (earlier rounds' ones have run today already)
            standing.add(SYSTEM_ACTOR, accounts[0], accounts[1], 1, "weekly", date.today())
        start = time.perf_counter()
        runs = standing.run_due(SYSTEM_ACTOR)
        times["standing"].append((time.perf_counter() - start) / max(1, len(runs)) * 1000)
        assert len(runs) == n and all(r.state != "failed" for r in runs), runs[:3]  # posted or held by the screen
    engine.dispose()
    out = {k: statistics.median(v) for k, v in times.items()}
    out["cash_ratio"] = out["drawer"] / out["teller_cash"]
    out["standing_ratio"] = out["standing"] / out["transfer"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        results = {"sqlite": _run(f"sqlite:///{tmp_path / 'bench.db'}", args.n, args.rounds, tmp_path)}
        base = make_url(args.url)
        name = f"bench_drawer_{uuid.uuid4().hex[:8]}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            (tmp_path / "pg").mkdir()
            results["postgresql"] = _run(base.set(database=name).render_as_string(hide_password=False), args.n,
                                         args.rounds, tmp_path / "pg")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for backend, r in results.items():
        print(f"{backend:<11} cash: teller cash account {r['teller_cash']:.2f} ms, through the drawer {r['drawer']:.2f} ms"
              f" (ratio {r['cash_ratio']:.2f});  standing: plain transfer {r['transfer']:.2f} ms, per run "
              f"{r['standing']:.2f} ms (ratio {r['standing_ratio']:.2f})")


if __name__ == "__main__":
    main()
