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
    cur = db.add_parser("current", help="print the schema revision of the database and whether it is up to date")
    cur.set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    engine = db.make_engine(ctx.settings.database_url)
    try:
        migrate.upgrade(engine)
        print(f"{_where(migrate.current_revision(engine))} ({engine.url.render_as_string(hide_password=True)})")
    finally:
        engine.dispose()
    return 0


def _current(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    engine = db.make_engine(ctx.settings.database_url)
    try:
        print(_where(migrate.current_revision(engine)))
    finally:
        engine.dispose()
    return 0


def _where(current: str | None) -> str:
    """The revision with its place in the order migrations apply: ids are names, not counts (``0007``
    applies after ``0008``), so an id alone does not say how far the database is."""
    if current is None:
        return "empty (run: qenex db upgrade)"
    order = migrate.chain()
    if current not in order:
        return f"{current} (not one of this version's migrations: a newer QENEX wrote it?)"
    done = order.index(current) + 1
    state = ("up to date" if done == len(order) else f"{len(order) - done} to apply (run: qenex db upgrade)")
    return (f"{current}: {done} of {len(order)} migrations applied, {state}; they apply in this order "
            f"(ids are names, not counts): {' '.join(r.split('_')[0] for r in order)}")
