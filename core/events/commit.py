"""Run a callback after a SQLAlchemy connection's transaction commits (and never if it rolls back).

SQLAlchemy Core has no after-commit event (its ``commit`` event fires before the database commits), so
the engine's dialect gets a thin wrapper around ``do_commit``/``do_rollback``: callbacks registered on
the pooled connection run right after the database confirmed the commit, and are dropped on rollback
(including the pool's reset when a connection goes back after an error).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

log = logging.getLogger(__name__)
_KEY = "qenex.after_commit"


def after_commit(conn: Connection, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once ``conn``'s current transaction has committed; drop it on rollback.

    The callback runs on the committing thread, right after COMMIT; exceptions are logged, never raised
    (the commit already happened). Savepoints are not tracked: a callback registered inside a
    savepoint that rolls back still runs if the outer transaction commits.
    """
    _install(conn.dialect)
    conn.connection.info.setdefault(_KEY, []).append(callback)


def _install(dialect: Any) -> None:
    if getattr(dialect, "_qenex_after_commit", False):
        return
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        commit(dbapi_connection)
        for callback in _take(dbapi_connection):
            try:
                callback()
            except Exception:  # noqa: BLE001 - the transaction is committed; a failed notice must not undo that
                log.exception("an after-commit callback failed")

    def do_rollback(dbapi_connection: Any) -> None:
        _take(dbapi_connection)
        rollback(dbapi_connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback
    dialect._qenex_after_commit = True


def _take(dbapi_connection: Any) -> list[Callable[[], None]]:
    """The callbacks waiting on this pooled connection (its ``info`` dict), removed from it."""
    info = getattr(dbapi_connection, "info", None)
    if not isinstance(info, dict):
        return []
    return info.pop(_KEY, None) or []
