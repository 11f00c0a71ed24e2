"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers."""
from app.commands import alerts, cases, db, demo, fraud, ledger, security

COMMAND_MODULES = [db, ledger, security, demo, fraud, alerts, cases]
