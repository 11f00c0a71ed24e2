"""Smoke test of a frozen build: run the executable offscreen on a throw-away SQLite bank.

Usage: python packaging/smoke_test.py packaging/dist/qenex/qenex

Not part of the pytest suite (it needs a build, which takes minutes). Exits 0 only if every step passes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

TIMEOUT_S = 300
CONSOLE_UP_S = 15  # the windowed console must still be running (not crashed) after this long


class SmokeFailure(Exception):
    pass


def run(exe: Path, env: dict[str, str], *args: str) -> str:
    """Run one command, print it and its result, and return stdout; raise SmokeFailure on a non-zero exit."""
    proc = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    print(f"$ qenex {' '.join(args)}  -> exit {proc.returncode}")
    if proc.returncode != 0:
        raise SmokeFailure(f"`qenex {' '.join(args)}` exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def bank_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QENEX_")}
    env.update(QT_QPA_PLATFORM="offscreen", QENEX_DATA_DIR=str(folder),
               QENEX_DATABASE_URL=f"sqlite:///{folder / 'bank.db'}")
    return env


def check_bundle(exe: Path) -> None:
    """Files that are read by path at run time must be in the bundle as files."""
    internal = exe.parent / "_internal"
    for rel in ("core/persistence/migrations/env.py", "core/persistence/migrations/versions/0001_ledger.py",
                "resources/style/light.qss", "resources/style/dark.qss", "resources/icons/app.svg",
                "babel/locale-data/en.dat"):
        if not (internal / rel).is_file():
            raise SmokeFailure(f"missing from the bundle: {rel}")
    print("bundle: migrations, resources and babel locale data present")


def teller_flow(exe: Path, folder: Path) -> None:
    """The brief's flow: a customer, an account, a deposit, then both integrity checks."""
    env = bank_env(folder)
    run(exe, env, "customer", "add", "--name", "X")
    account = json.loads(run(exe, env, "account", "open", "--customer", "1", "--currency", "USD", "--json"))
    number = account["number"]
    run(exe, env, "deposit", "--system", "--account", number, "--amount", "5", "--currency", "USD")
    balance = json.loads(run(exe, env, "balance", number, "--json"))
    if str(balance["current"]) not in ("5", "5.00"):
        raise SmokeFailure(f"balance after depositing 5 USD is {balance['current']!r}")
    run(exe, env, "ledger", "verify")
    run(exe, env, "audit", "verify")


def demo_flow(exe: Path, folder: Path) -> None:
    """Seed a small demo bank (trains a scikit-learn model, stored with skops), then pay through the fraud screen."""
    env = bank_env(folder)
    run(exe, env, "demo", "seed", "--customers", "50", "--days", "7")
    print(run(exe, env, "fraud", "models").strip())
    accounts = json.loads(run(exe, env, "accounts", "--json"))
    usd = sorted((a for a in accounts if a["kind"] == "deposit" and a["currency"] == "USD" and a["status"] == "open"),
                 key=lambda a: Decimal(a["available"]), reverse=True)
    # A customer's outgoing payment is scored by the active model, loaded back from its skops blob.
    sent = json.loads(run(exe, env, "transfer", "--system", "--from", usd[0]["number"], "--to", usd[1]["number"],
                          "--amount", "1.00", "--currency", "USD", "--json"))
    print(f"fraud screen: {sent.get('fraud')}")
    reasons = (sent.get("fraud") or {}).get("reasons")
    if not reasons or any(r.startswith("no fraud model") for r in reasons):
        raise SmokeFailure(f"the transfer was not scored by the trained model: {sent}")
    run(exe, env, "ledger", "verify")
    run(exe, env, "audit", "verify")


def console_starts(exe: Path, folder: Path) -> None:
    """Start the windowed ``QENEX Console`` offscreen; it must still be up (no start-up crash) after a while."""
    windowed = exe.with_name("QENEX Console")
    with subprocess.Popen([str(windowed)], env=bank_env(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            out, err = proc.communicate(timeout=CONSOLE_UP_S)
        except subprocess.TimeoutExpired:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
            print(f"$ QENEX Console  -> still running after {CONSOLE_UP_S} s (stopped)")
            if "Traceback" in err:
                raise SmokeFailure(f"the console logged an error:\n{err}") from None
            return
    raise SmokeFailure(f"`QENEX Console` exited {proc.returncode} within {CONSOLE_UP_S} s\n{out}\n{err}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    exe = Path(argv[0]).resolve()
    try:
        check_bundle(exe)
        with tempfile.TemporaryDirectory(prefix="qenex-smoke-") as tmp:
            run(exe, bank_env(Path(tmp)), "--help")
            teller_flow(exe, Path(tmp))
        with tempfile.TemporaryDirectory(prefix="qenex-smoke-demo-") as tmp:
            demo_flow(exe, Path(tmp))
        with tempfile.TemporaryDirectory(prefix="qenex-smoke-gui-") as tmp:
            console_starts(exe, Path(tmp))
    except (SmokeFailure, subprocess.TimeoutExpired) as err:
        print(f"SMOKE TEST FAILED: {err}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
