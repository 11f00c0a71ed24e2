"""What the per-action session check costs a desk (issue 8 §6: a disable, role change or password reset takes
effect at the user's next action, so every permission check reads the user's row).

    python benchmarks/desk_session.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--n 400]

Posts ``n`` single transfers through a Ledger with the audit trail attached (the desk's locking path), once as
the system operator (no session to check) and once as a logged-in teller (one primary-key lookup of the user
per call), alternating in rounds, on SQLite (a temporary file) and PostgreSQL (a throw-away database). Prints
the mean time per transfer of each and the ratio teller/system. Figures from a loaded machine are not
representative; the load average is printed with them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.security.users import UserService


def _run(url: str, n: int, rounds: int, key_dir: Path) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    audit = AuditTrail(AuditKeys(key_dir / "audit.key"))
    users = UserService(engine, audit, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1))
    view = users.add_user(SYSTEM_ACTOR, "bench.teller", Role.TELLER, "bench passphrase 1",
                          must_change_password=False).user
    teller = Actor(view.username, Role.TELLER, user_id=view.id, device="bench")
    ledger = Ledger(engine, audit=audit)
    a = ledger.open_account(SYSTEM_ACTOR, ledger.add_customer(SYSTEM_ACTOR, "A").id, "USD").number
    b = ledger.open_account(SYSTEM_ACTOR, ledger.add_customer(SYSTEM_ACTOR, "B").id, "USD").number
    ledger.deposit(SYSTEM_ACTOR, a, 10**12, "USD")
    times: dict[str, list[float]] = {"system": [], "teller": []}
    for _ in range(rounds):
        for name, actor in (("system", SYSTEM_ACTOR), ("teller", teller)):
            start = time.perf_counter()
            for _ in range(n):
                ledger.transfer(actor, TransferRequest(uuid.uuid4().hex, a, b, 1, "USD"))
            times[name].append((time.perf_counter() - start) / n * 1000)
    engine.dispose()
    out = {k: statistics.median(v) for k, v in times.items()}
    out["ratio"] = out["teller"] / out["system"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        results = {"sqlite": _run(f"sqlite:///{tmp_path / 'bench.db'}", args.n, args.rounds, tmp_path)}
        base = make_url(args.url)
        name = f"bench_session_{uuid.uuid4().hex[:8]}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            results["postgresql"] = _run(base.set(database=name).render_as_string(hide_password=False), args.n,
                                         args.rounds, tmp_path / "pg")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    for backend, r in results.items():
        print(f"{backend:<11} system {r['system']:.3f} ms/transfer   teller (session checked) "
              f"{r['teller']:.3f} ms/transfer   ratio {r['ratio']:.2f}")


if __name__ == "__main__":
    main()
