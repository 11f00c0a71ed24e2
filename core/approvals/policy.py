"""Which actions wait for a second person, each role's limits, and how long a request waits.

Rules (issue 10, "Four eyes"), for people (the system operator and scheduled jobs are not checked):

- a transfer from a customer's account above the maker's limit for its currency (cash withdrawals too;
  deposits are not limited): kind ``transfer``;
- any manual movement on a bank GL account (a transfer with code ``transfer``, ``adjustment`` or ``gl``
  where either side is a GL account; cash deposits and withdrawals at the desk, holds, fees and the
  bank's own flows keep their own codes and controls): kind ``gl``;
- every correction of a posted transfer: kind ``correction``;
- freezing or closing an account: kinds ``freeze`` and ``close``; releasing a hold: ``hold_release``;
- an overdraft limit (a credit decision) above the person's overdraft limit for its currency, when an
  account is opened or its limit raised: kind ``overdraft`` (lowering a limit never asks).

Limits are per role and currency, in minor units: a row of ``approval_limits`` (``qenex approvals limits
--set``) wins; else ``QENEX_APPROVAL_LIMITS`` (``teller=10000,supervisor=50000``, whole units of any
currency); else the defaults below. A supervisor above their own limit needs another supervisor.
Overdraft limits per role come from ``QENEX_OVERDRAFT_LIMITS`` (``teller=1000,supervisor=25000``: that number
of units of the account's currency, converted to minor units by the currency's exponent, so the same number
in every currency; ``teller.JPY=150000`` gives one currency its own; other roles: 0, every overdraft asks);
else the defaults below.
Requests expire after ``QENEX_APPROVAL_EXPIRY_HOURS`` (default 24, at most 720: the ledger's longest
pending transfer), releasing the held funds.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from core.errors import ConfigurationError
from core.ledger import money
from core.ledger.errors import UnknownCurrency
from core.ledger.posting import MAX_TIMEOUT_SECONDS
from core.security.roles import Actor, Role

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

DEFAULT_LIMITS: dict[str, Decimal] = {Role.TELLER.value: Decimal(10_000), Role.SUPERVISOR.value: Decimal(50_000)}
DEFAULT_OVERDRAFT_LIMITS: dict[str, Decimal] = {Role.TELLER.value: Decimal(1_000),
                                                 Role.SUPERVISOR.value: Decimal(25_000)}
DEFAULT_EXPIRY_HOURS = 24.0
MANUAL_CODES = frozenset({"transfer", "adjustment", "gl"})
LIMIT_ROLES = (Role.TELLER.value, Role.SUPERVISOR.value)
CACHE_SECONDS = 5.0  # a limit changed at another desk applies here within this time


@dataclass(frozen=True)
class Need:
    """Why an action waits: ``kind`` (see the module doc) and, for ``transfer``, the limit it exceeds."""

    kind: str
    limit: int | None = None


@dataclass
class Policy:
    defaults: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    expiry: timedelta = timedelta(hours=DEFAULT_EXPIRY_HOURS)
    overdrafts: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_OVERDRAFT_LIMITS))
    _cache: dict[tuple[str, str], tuple[float, int | None]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Policy":
        env = env if env is not None else dict(os.environ)
        return cls(parse_limits(env.get("QENEX_APPROVAL_LIMITS", "")), parse_expiry(env.get("QENEX_APPROVAL_EXPIRY_HOURS", "")),
                   parse_limits(env.get("QENEX_OVERDRAFT_LIMITS", ""), DEFAULT_OVERDRAFT_LIMITS, "QENEX_OVERDRAFT_LIMITS"))

    def overdraft_limit(self, role: str, currency: str) -> int:
        """The highest overdraft limit ``role`` may set alone in ``currency`` (minor units); 0 for roles
        without one (every overdraft they set asks a supervisor)."""
        amount = role_amount(self.overdrafts, str(role), currency)
        return 0 if amount is None else money.to_minor(amount, currency, allow_zero=True)

    def overdraft_need(self, actor: Actor, currency: str, amount: int, current: int = 0) -> Need | None:
        """A Need("overdraft", limit) when ``actor`` sets an overdraft of ``amount`` (up from ``current``)
        above their own overdraft limit; None when they may set it alone (lowering never asks)."""
        if actor.role is Role.SYSTEM or amount <= current:
            return None
        limit = self.overdraft_limit(actor.role, currency)
        return Need("overdraft", limit) if amount > limit else None

    def limit(self, conn: Connection | Engine, role: str, currency: str) -> int | None:
        """``role``'s limit in ``currency`` (minor units), or None: that role has no limit (always asks); read on
        ``conn`` (an engine: on a connection of its own) at most every CACHE_SECONDS."""
        key = (str(role), currency)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        from sqlalchemy import Engine, select  # here: reading the settings (a balance) loads no SQLAlchemy

        from core.persistence.models import ApprovalLimit  # nor any model

        L = ApprovalLimit.__table__  # noqa: N806
        query = select(L.c.amount).where(L.c.role == key[0], L.c.currency == currency)
        if isinstance(conn, Engine):  # a connection only when the cache misses (the desk path's case)
            with conn.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        if row is not None:
            value: int | None = row.amount
        elif role_amount(self.defaults, key[0], currency) is not None:
            value = money.to_minor(role_amount(self.defaults, key[0], currency), currency, allow_zero=True)
        else:
            value = 0
        self._cache[key] = (time.monotonic(), value)
        return value

    def forget(self) -> None:
        self._cache.clear()

    def need(self, conn: Connection | Engine, actor: Actor, req: Any, debit: Any, credit: Any) -> Need | None:
        """What ``req`` (a normalized TransferRequest between the locked ``debit`` and ``credit`` account
        states) needs from a second person, or None."""
        if actor.role in (Role.SYSTEM,):
            return None
        if req.reverses_id:
            return Need("correction")
        if (debit.customer_id is None or credit.customer_id is None) and req.code in MANUAL_CODES:
            return Need("gl")
        if debit.customer_id is not None and req.code != "hold":
            return self.limit_need(conn, actor, req.amount, req.currency)
        return None

    def limit_need(self, conn: Connection | Engine, actor: Actor, amount: int, currency: str) -> Need | None:
        """Need("transfer", limit) when ``amount`` out of a customer's account is above ``actor``'s limit."""
        if actor.role is Role.SYSTEM:
            return None
        limit = self.limit(conn, actor.role, currency)
        return Need("transfer", limit) if limit is not None and amount > limit else None


def why(need: Need, actor: Actor, currency: str) -> str:
    """Why an action waits for a second person, in words (shown before it is confirmed)."""
    if need.kind in ("transfer", "overdraft"):
        return f"above the {actor.role} limit of {money.format_minor(need.limit or 0, currency)}"
    return {"gl": "it moves money on a bank GL account", "correction": "corrections need a second person"}.get(
        need.kind, need.kind)


def role_amount(limits: dict[str, Decimal], role: str, currency: str) -> Decimal | None:
    """``role``'s amount for ``currency``: its own entry (``teller.JPY=150000``) or the role's default, which is
    the same NUMBER of units in every currency (1,000 is $1,000.00 and ¥1,000: set a per-currency entry where
    that is not what the bank means); None if the role has none."""
    own = limits.get(f"{role}.{currency.upper()}")
    return own if own is not None else limits.get(role)


def parse_limits(raw: str, defaults: dict[str, Decimal] | None = None,
                 name: str = "QENEX_APPROVAL_LIMITS") -> dict[str, Decimal]:
    """``teller=10000,supervisor=50000`` (whole or decimal units of the account's currency, the same number in
    every currency) over the defaults; ``teller.JPY=1500000`` sets one currency's own amount."""
    limits = dict(DEFAULT_LIMITS if defaults is None else defaults)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, _, value = part.partition("=")
        role, dot, cur = key.strip().partition(".")
        role = role.strip().lower()
        if role not in LIMIT_ROLES:
            raise ConfigurationError(f"{name}: unknown role {role!r}; use teller or supervisor, "
                                     "e.g. teller=10000,supervisor=50000")
        if dot:
            try:
                role = f"{role}.{money.currency(cur.strip())}"
            except UnknownCurrency:
                raise ConfigurationError(f"{name}: {cur.strip()!r} is not a currency code; write e.g. "
                                         "teller.JPY=150000") from None
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ConfigurationError(f"{name}: {value.strip()!r} is not an amount; write e.g. "
                                     "teller=10000") from None
        if not amount.is_finite() or amount < 0 or amount > 10**12:
            raise ConfigurationError(f"{name}: the {role} limit must be 0 to 1,000,000,000,000")
        limits[role] = amount
    return limits


def parse_expiry(raw: str) -> timedelta:
    raw = raw.strip()
    if not raw:
        return timedelta(hours=DEFAULT_EXPIRY_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        raise ConfigurationError(f"QENEX_APPROVAL_EXPIRY_HOURS must be a number of hours, got {raw!r}") from None
    if not 0 < hours <= MAX_TIMEOUT_SECONDS / 3600:
        raise ConfigurationError(f"QENEX_APPROVAL_EXPIRY_HOURS must be more than 0 and at most "
                                 f"{MAX_TIMEOUT_SECONDS // 3600}, got {raw!r}")
    return timedelta(seconds=max(60, round(hours * 3600)))
