"""Apply the Alembic migrations programmatically (``qenex db upgrade`` and at start-up)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.M)


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call on every start.

    At ``head`` it then checks that this version reads every stored currency at the exponent its amounts
    were written with (``core.ledger.exponents.check``; raises ExponentChanged otherwise).
    """
    from core.ledger import exponents

    if revision == "head" and _at_head(engine):  # every start of a command: no need to load Alembic
        with engine.connect() as conn:
            exponents.check(conn)
        return
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if engine.dialect.name == "postgresql":
            # Several desks may start at once: one migrates, the others wait and then find nothing to do.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7423001)")
        command.upgrade(cfg, revision)
        if revision == "head":
            exponents.check(conn)


@lru_cache(maxsize=1)
def script_head() -> str | None:
    """The head revision as the migration files' headers name it (read as text, nothing imported); None
    when they do not name exactly one head (then Alembic decides)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        downs.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def chain() -> list[str]:
    """Every revision from the first to the head, in the order they apply (read from the files' headers).

    The ids name migrations rather than count them (branches were merged, so ``0007`` applies after ``0008``), which
    is why ``qenex db current`` says where the database is in this order."""
    down_of: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is not None and down is not None:
            downs = re.findall(r"['\"]([^'\"]+)['\"]", down.group(1))
            down_of[rev.group(1)] = downs[0] if downs else None
    order, at = [], script_head()
    while at is not None and at in down_of and at not in order:
        order.append(at)
        at = down_of[at]
    return order[::-1]


def _at_head(engine: Engine) -> bool:
    """Whether the database's recorded revision is the head of these migrations."""
    head = script_head()
    if head is None:
        return False
    return _stored(engine) == [head]


def _stored(engine: Engine) -> list[str]:
    """The revisions recorded in ``alembic_version`` (none: an empty database), read with plain SQL."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:  # no version table yet (an empty database): Alembic creates it
        return []


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: not migrated yet); read without loading Alembic when it is one."""
    stored = _stored(engine)
    if len(stored) <= 1:
        return stored[0] if stored else None
    from alembic.runtime.migration import MigrationContext  # several heads: Alembic says what that means

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Autogenerate a migration (developer tool)."""
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
