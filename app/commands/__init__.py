"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers."""
from app.commands import (
    ai, alerts, approvals, cases, db, demo, drawers, fraud, ledger, payments, security, standing, teller,
)

COMMAND_MODULES = [db, ledger, teller, payments, security, demo, fraud, alerts, cases, approvals, drawers, standing, ai]
