"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers."""
from app.commands import db, demo, fraud, ledger, security, teller

COMMAND_MODULES = [db, ledger, teller, security, demo, fraud]
