"""``qenex db``: schema migrations."""
from __future__ import annotations

import argparse

from app.lazy import lazy

migrate = lazy("core.persistence.migrate")
db = lazy("core.persistence.db")


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply every pending migration")
    up.set_defaults(handler=_upgrade)
    cur = db.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    engine = db.make_engine(ctx.settings.database_url)
    try:
        migrate.upgrade(engine)
        print(f"database at {migrate.current_revision(engine)} ({engine.url.render_as_string(hide_password=True)})")
    finally:
        engine.dispose()
    return 0


def _current(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    engine = db.make_engine(ctx.settings.database_url)
    try:
        print(migrate.current_revision(engine) or "empty (run: qenex db upgrade)")
    finally:
        engine.dispose()
    return 0
