"""The exponent each currency's amounts are stored with, and the start-up check that they are read at that scale.

Minor units only mean something with their exponent: 1000250 IQD minor units are 1,000.250 dinars at
ISO 4217's exponent 3 and would be 1,000,250 dinars at CLDR's 0. The database records the exponent of
every currency it holds (table ``currency_exponents``, written when a currency's first account opens;
migration 0005 filled it for existing databases). ``check`` runs after every migration: if this
version's ISO 4217 data gives a stored currency another exponent, or no longer lists it, it refuses to
open the database instead of reading its amounts at the wrong scale.
"""
from __future__ import annotations

from sqlalchemy import Connection, insert, select

from core.errors import ConfigurationError
from core.ledger import money
from core.persistence.columns import utcnow
from core.persistence.ledger_tables import currency_exponents as _T


class ExponentChanged(ConfigurationError):
    """The database stores a currency at another exponent than this version's ISO 4217 data gives."""

    code = "currency_exponent"


def record(conn: Connection, code: str) -> None:
    """Record ``code``'s exponent the first time the database holds that currency (idempotent)."""
    found = conn.execute(select(_T.c.exponent).where(_T.c.code == code)).scalar_one_or_none()
    if found is None:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(_T).on_conflict_do_nothing(index_elements=["code"])
        else:
            stmt = insert(_T).prefix_with("OR IGNORE")
        conn.execute(stmt.values(code=code, exponent=money.exponent(code), recorded_at=utcnow()))
    elif found != money.exponent(code):
        raise _changed([(code, found)])


def check(conn: Connection) -> None:
    """Raise ExponentChanged naming every stored currency this version would read at another scale."""
    active = money.active_currencies()
    wrong = [(code, stored) for code, stored in conn.execute(select(_T.c.code, _T.c.exponent))
             if active.get(code) != stored]
    if wrong:
        raise _changed(wrong)


def _changed(wrong: list[tuple[str, int]]) -> ExponentChanged:
    active = money.active_currencies()
    parts = []
    for code, stored in sorted(wrong):
        now = active.get(code)
        parts.append(f"{code} amounts are stored with {stored} decimals, but ISO 4217 "
                     + (f"gives {now}" if now is not None else "no longer lists it (withdrawn)"))
    return ExponentChanged(
        "this version cannot read the database's amounts at the scale they were written: " + "; ".join(parts)
        + f" (ISO 4217 edition {money.ISO4217_PUBLISHED}). Nothing was changed. Keep using the version that "
        "wrote this database, or install one whose migration rescales these currencies (README: Money)",
        currencies=",".join(code for code, _ in wrong))
