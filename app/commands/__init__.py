"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers."""
from app.commands import alerts, approvals, cases, db, demo, fraud, ledger, payments, security, teller

COMMAND_MODULES = [db, ledger, teller, payments, security, demo, fraud, alerts, cases, approvals]
