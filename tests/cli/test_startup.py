"""The command line starts without the heavy modules it does not use (timings: benchmarks/desk.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from app.commands import args
from core.ledger.money import INT64_MAX
from core.ledger.posting import MAX_TIMEOUT_SECONDS
from core.persistence import migrate

HEAVY = ("sklearn", "skops", "scipy", "stripe", "alembic", "numpy", "PySide6")
DATABASE = ("sqlalchemy", "psycopg")  # what --help, which opens no database, must not load either
HELP = ("babel", "iso4217", "platformdirs")  # nor the money rules and their data
# What a balance does not use: the ORM and every model (its tables are Core tables: core.persistence.ledger_tables),
# the fraud screen, four eyes and the audit trail (made by a write), the posting path's driver helpers, the
# other commands, the settings' folder lookup (QENEX_DATA_DIR is set) and the live-update transports.
BALANCE = HEAVY + (
    "sqlalchemy",  # a migrated database is read through the bare driver (core.ledger.quick_read)
    "sqlalchemy.orm", "core.persistence.models", "core.persistence.base", "core.fraud.screen", "core.fraud.features",
    "core.approvals.service", "core.approvals.store", "core.security.audit", "core.security.audit_keys",
    "cryptography", "core.ledger.desk", "core.ledger.batch", "core.teller",
    "core.cases", "core.payments", "app.commands.teller", "app.commands.alerts", "app.commands.payments",
    "platformdirs", "redis",
)
SQLITE_BALANCE = BALANCE + ("psycopg", "core.persistence.driver", "sqlalchemy.dialects.postgresql")  # nor, on
# SQLite, PostgreSQL's driver and dialect
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


def _open_account(env: dict[str, str]) -> str:
    """Migrate the database at ``env``'s URL (Alembic loads here, and only here), add a customer with an
    account; the account's number."""
    assert _run(["db", "upgrade"], env)["code"] == 0

    def qenex(*argv: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "app.cli", *argv, "--json"], capture_output=True, text=True,
                              env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    customer = qenex("customer", "add", "--name", "Ada Lovelace")["id"]
    return qenex("account", "open", "--customer", str(customer), "--currency", "USD")["number"]


def test_help_and_balance_load_no_heavy_module(tmp_path):
    env = {**os.environ, "QENEX_DATABASE_URL": f"sqlite:///{tmp_path / 'bank.db'}", "QENEX_DATA_DIR": str(tmp_path)}
    assert _run(["--help"], env, HEAVY + DATABASE + HELP) == {"code": 0, "loaded": []}
    number = _open_account(env)
    assert _run(["balance", number], env, SQLITE_BALANCE) == {"code": 0, "loaded": []}
    assert _run(["balance", number, "--json"], env, SQLITE_BALANCE) == {"code": 0, "loaded": []}
    assert _run(["balance", "1000000099"], env, SQLITE_BALANCE) == {"code": 1, "loaded": []}  # not found


@pytest.mark.postgres
def test_balance_on_postgresql_loads_no_heavy_module(tmp_path):
    from sqlalchemy import create_engine, text

    from tests.conftest import require_postgres

    base, schema = require_postgres(), f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        env = {**os.environ, "QENEX_DATABASE_URL": url, "QENEX_DATA_DIR": str(tmp_path)}
        number = _open_account(env)
        assert _run(["balance", number], env, BALANCE) == {"code": 0, "loaded": []}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_the_command_table_names_each_commands_module():
    import argparse
    import importlib

    from app.commands import COMMANDS, MODULES, modules_for

    registered = {}
    for name in MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"app.commands.{name}").register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert registered == COMMANDS
    assert [m.__name__ for m in modules_for(["balance", "X"])] == ["app.commands.ledger"]
    assert len(modules_for(["--help"])) == len(modules_for(["bal"])) == len(modules_for([])) == len(MODULES)


def test_the_ledgers_core_tables_are_the_models_tables():
    from core.persistence import ledger_tables
    from core.persistence.models import Account, Base, CurrencyExponent, Customer, Entry, Transfer

    assert [m.__table__ for m in (Customer, Account, Transfer, Entry, CurrencyExponent)] == [
        ledger_tables.customers, ledger_tables.accounts, ledger_tables.transfers, ledger_tables.entries,
        ledger_tables.currency_exponents]
    assert all(Base.metadata.tables[t.name] is t for t in (ledger_tables.accounts, ledger_tables.transfers))
    assert {ix.name for ix in ledger_tables.transfers.indexes} == {"ix_transfers_open_holds", "ix_transfers_reverses"}


def test_a_deferred_object_is_made_once_at_first_use():
    from app.lazy import deferred

    made = []

    class Screen:
        clock = None

        def score(self) -> int:
            return 7

    screen = deferred(lambda: made.append(1) or Screen())
    assert made == [] and screen is not None
    assert screen.score() == 7 and made == [1]
    screen.clock = "business"
    assert screen.clock == "business" and made == [1]
