"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers.

``COMMANDS`` names the module of each top-level command, so that ``qenex balance ACC`` imports and registers
only ``app.commands.ledger`` (``modules_for``); ``qenex --help``, a mistyped command and anything else get
every module. tests/cli/test_startup.py checks the table against what the modules register.
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

MODULES = ("db", "ledger", "teller", "payments", "security", "demo", "fraud", "alerts", "cases", "approvals",
           "drawers", "standing", "ai")  # in the order ``qenex --help`` lists their commands
COMMANDS = {
    "db": "db", "account": "ledger", "transfer": "ledger", "deposit": "ledger", "withdraw": "ledger",
    "balance": "ledger", "accounts": "ledger", "ledger": "ledger", "customer": "teller", "statement": "teller",
    "hold": "teller", "payments": "payments", "rails": "payments", "vault": "payments", "user": "security",
    "audit": "security", "demo": "demo", "fraud": "fraud", "alerts": "alerts", "cases": "cases",
    "approvals": "approvals", "drawer": "drawers", "standing": "standing", "ai": "ai",
}


def modules_for(argv: Sequence[str] | None = None) -> list[ModuleType]:
    """The command modules to register for ``argv``: only its command's module when ``argv`` starts with a
    command (options after it belong to that command's parser, so parsing and its errors are the same),
    else all of them."""
    first = argv[0] if argv else None
    names = (COMMANDS[first],) if first in COMMANDS else MODULES
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
