"""Command modules; each has ``register(subparsers)`` and sets ``handler(args, ctx)`` on its parsers."""
from app.commands import db

COMMAND_MODULES = [db]
