"""currency exponents from ISO 4217: rescale amounts of currencies whose exponent changed; record exponents

Revision ID: 0005
Revises: 0008

Before this revision minor units used babel's CLDR digits, which give 0 decimals to IQD, HUF, COP, IDR,
IRR, LBP, SYP, YER, ALL, MGA, MMK, LAK, SOS, AFN and KPW; ISO 4217 (the ``iso4217`` package) gives
them 2 (IQD 3). Every stored amount in such a currency is multiplied by 10**(new - old), so 1000 IQD
stored as 1000 becomes 1000000 (1,000.000): the same money, now at ISO's scale. Rows that hold minor
units (``MINOR_UNITS``): accounts (overdraft limit, posted and pending totals), transfers, entries
(amount, balance after; their immutability triggers are lifted for this one statement and restored),
account holds, card payments and their events, payment orders. Fraud feature state holds major units
(floats) and needs nothing. Signed audit entries are never rewritten;
one new entry per rescaled currency records what was done.

Refused, changing nothing, with a message saying what to do: a currency ISO 4217 no longer lists,
a rescale that would pass the 64-bit range, or one that would drop digits (an exponent going down).
The new table ``currency_exponents`` records every held currency's exponent, so a later exponent
change is caught at start-up (``core.ledger.exponents.check``) instead of read at the wrong scale.
"""
import json
from datetime import datetime, timezone

import iso4217
import sqlalchemy as sa
from alembic import op
from babel.numbers import get_currency_precision

import core.persistence.base
from core.errors import ConfigurationError

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None

INT64_MAX = 2**63 - 1
_ACCOUNT_COLUMNS = ("overdraft_limit", "debits_posted", "credits_posted", "debits_pending", "credits_pending")


class RescaleRefused(ConfigurationError):
    code = "currency_exponent"


def _iso() -> dict[str, int]:
    return {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}


def _cldr(code: str) -> int:
    """The exponent the ledger used before this revision (babel's CLDR digits)."""
    return get_currency_precision(code)


def upgrade() -> None:
    op.create_table(
        "currency_exponents",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("exponent", sa.Integer(), nullable=False),
        sa.Column("recorded_at", core.persistence.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("exponent between 0 and 9", name=op.f("ck_currency_exponents_exponent")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_currency_exponents")),
    )
    conn = op.get_bind()
    held = sorted(c for (c,) in conn.execute(sa.text("SELECT currency FROM accounts UNION SELECT currency FROM transfers")))
    iso = _iso()
    withdrawn = [c for c in held if c not in iso]
    if withdrawn:
        raise RescaleRefused(
            f"the database holds amounts in {', '.join(withdrawn)}, which ISO 4217 (edition {iso4217.__published__}) "
            "no longer lists, so this version cannot tell their decimals; nothing was changed. Move those balances "
            "to accounts in an active currency with the version that wrote them, then upgrade")
    changes = [(c, _cldr(c), iso[c]) for c in held if _cldr(c) != iso[c]]
    for code, old, new in changes:
        _rescale(conn, code, old, new)
    now = datetime.now(timezone.utc)
    if held:
        conn.execute(sa.text("INSERT INTO currency_exponents (code, exponent, recorded_at) VALUES (:c, :e, :t)"),
                     [{"c": c, "e": iso[c], "t": _stamp(conn, now)} for c in held])


def downgrade() -> None:
    conn = op.get_bind()
    for code, stored in list(conn.execute(sa.text("SELECT code, exponent FROM currency_exponents"))):
        if _cldr(code) != stored:
            _rescale(conn, code, stored, _cldr(code))
    op.drop_table("currency_exponents")


def _stamp(conn, now: datetime):  # noqa: ANN001, ANN202 - as UTCDateTime stores it
    return now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now


# Every column that holds minor units, with how its rows find their currency. Tables of later features are
# listed too (payments 0012, teller 0008 come before this revision in the chain); a table that does not
# exist yet in a database is skipped. A new table holding minor units that comes before 0005 goes here.
_BY_CURRENCY = "currency = :c"
MINOR_UNITS = (
    ("accounts", _ACCOUNT_COLUMNS, _BY_CURRENCY),
    ("transfers", ("amount",), _BY_CURRENCY),
    ("entries", ("amount", "balance_after"), "account_id IN (SELECT id FROM accounts WHERE currency = :c)"),
    ("account_holds", ("amount",), _BY_CURRENCY),
    ("payments", ("amount", "captured", "refunded"), _BY_CURRENCY),
    ("payment_events", ("amount",), "payment_id IN (SELECT id FROM payments WHERE currency = :c)"),
    ("payment_orders", ("amount",), _BY_CURRENCY),
)


def _rescale(conn, code: str, old: int, new: int) -> None:  # noqa: ANN001
    """Multiply (or exactly divide) every stored amount in ``code`` by 10**(new - old), all or nothing."""
    present = set(sa.inspect(conn).get_table_names())
    tables = [(t, cols, where) for t, cols, where in MINOR_UNITS if t in present]
    factor = 10 ** abs(new - old)
    for table, cols, where in tables:
        for col in cols:
            if new > old:
                top = conn.execute(sa.text(f"SELECT max(abs({col})) FROM {table} WHERE {where}"), {"c": code}).scalar()
                if top is not None and top * factor > INT64_MAX:
                    raise RescaleRefused(
                        f"{code} now has {new} decimals (ISO 4217) instead of {old}; rescaling its amounts by "
                        f"{factor} would take {table}.{col} past the ledger's 64-bit range, so nothing was changed. "
                        f"Move the largest {code} balances down (or out of {code}) with the version that wrote "
                        "them, then upgrade")
            else:
                rest = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where} AND {col} % :f <> 0"),
                                    {"c": code, "f": factor}).scalar()
                if rest:
                    raise RescaleRefused(
                        f"{code} now has {new} decimals (ISO 4217) instead of {old}; {rest} amounts in {table}.{col} "
                        "use the dropped digits and would have to be rounded, so nothing was changed. Settle them "
                        "with the version that wrote them, then upgrade")
    op_sql = "*" if new > old else "/"
    counts = {}
    for table, cols, where in tables:
        sets = ", ".join(f"{col} = {col} {op_sql} :f" for col in cols)
        with _entries_writable(conn, table == "entries"):
            counts[table] = conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {where}"),
                                         {"c": code, "f": factor}).rowcount
    _audit(conn, code, old, new, counts)


class _entries_writable:  # noqa: N801 - used as a context manager
    """Lift the entries' immutability triggers (0001) for the rescale, and put them back."""

    def __init__(self, conn, entries: bool) -> None:  # noqa: ANN001
        self.conn, self.entries = conn, entries

    def __enter__(self) -> None:
        if not self.entries:
            return
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("ALTER TABLE entries DISABLE TRIGGER entries_immutable"))
        else:
            self.conn.execute(sa.text("DROP TRIGGER entries_no_update"))

    def __exit__(self, *exc: object) -> None:
        if not self.entries:
            return
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("ALTER TABLE entries ENABLE TRIGGER entries_immutable"))
        else:
            self.conn.execute(sa.text("CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries "
                                      "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END"))


def _audit(conn, code: str, old: int, new: int, counts: dict[str, int]) -> None:  # noqa: ANN001
    """One audit entry per rescaled currency (sealed with the next seal, like every appended entry)."""
    now = datetime.now(timezone.utc)
    conn.execute(sa.text(
        "INSERT INTO audit_log (at, actor, role, device, action, target, before, after) "
        "VALUES (:at, 'system', 'system', NULL, 'ledger.rescale', :target, :before, :after)"),
        {"at": _stamp(conn, now), "target": code,
         "before": json.dumps({"exponent": old}, sort_keys=True, separators=(",", ":")),
         "after": json.dumps({"exponent": new, "factor": 10 ** abs(new - old), "migration": revision,
                              **{f"{k}_rows": v for k, v in counts.items()}}, sort_keys=True, separators=(",", ":"))})
