"""The command line starts without the heavy modules it does not use (timings: benchmarks/desk.py)."""
from __future__ import annotations

import json
import subprocess
import sys

from app.commands import args
from core.ledger.money import INT64_MAX
from core.ledger.posting import MAX_TIMEOUT_SECONDS
from core.persistence import migrate

HEAVY = ("sklearn", "skops", "scipy", "stripe", "alembic", "numpy", "PySide6")
DATABASE = ("sqlalchemy", "psycopg")  # what --help, which opens no database, must not load either
_PROBE = """
import json, sys
from app.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
"""


def _run(argv: list[str], env: dict[str, str], modules: tuple[str, ...] = HEAVY) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE % (modules,), *argv], capture_output=True, text=True,
                          env=env, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_the_argument_bounds_agree_with_the_ledger():
    assert (args.INT64_MAX, args.MAX_TIMEOUT_SECONDS) == (INT64_MAX, MAX_TIMEOUT_SECONDS)


def test_the_case_work_bounds_agree_with_core():
    from app.commands import alerts
    from core.cases.dispositions import MAX_SNOOZE
    from core.cases.suppressions import MAX_DAYS

    assert (alerts.MAX_SNOOZE_DAYS, alerts.MAX_SUPPRESS_DAYS) == (MAX_SNOOZE.days, MAX_DAYS)


def test_the_head_read_from_the_migration_files_is_alembics():
    assert migrate.script_head() == migrate.head_revision()


def test_help_and_balance_load_no_heavy_module(tmp_path, monkeypatch):
    import os

    env = {**os.environ, "QENEX_DATABASE_URL": f"sqlite:///{tmp_path / 'bank.db'}", "QENEX_DATA_DIR": str(tmp_path)}
    assert _run(["--help"], env, HEAVY + DATABASE) == {"code": 0, "loaded": []}
    assert _run(["db", "upgrade"], env)["code"] == 0  # migrates (Alembic loads here, and only here)
    opened = subprocess.run([sys.executable, "-m", "app.cli", "customer", "add", "--name", "Ada Lovelace", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert opened.returncode == 0, opened.stderr
    customer = json.loads(opened.stdout)["id"]
    opened = subprocess.run([sys.executable, "-m", "app.cli", "account", "open", "--customer", str(customer), "--currency", "USD", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert opened.returncode == 0, opened.stderr
    number = json.loads(opened.stdout)["number"]
    assert _run(["balance", number], env) == {"code": 0, "loaded": []}
