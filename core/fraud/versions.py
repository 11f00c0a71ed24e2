"""Versioned fraud settings: thresholds and rule settings as numbered versions in ``fraud_settings``.

The screen applies the active version's values over its base ``FraudConfig`` (the code defaults); a
change is always a new version, so any earlier state can be made active again exactly. Only the keys in
``TUNABLE`` may be versioned (the label delay is a property of the models and is never changed here).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from core.errors import NotFound, ValidationError
from core.fraud.config import FraudConfig
from core.persistence.base import utcnow
from core.persistence.models.ai import FraudSettings

TUNABLE = ("review_threshold", "decline_threshold", "amount_limits", "amount_limit_action", "velocity_limit_1h",
           "velocity_action", "blocked_counterparties", "blocked_countries", "anomaly_weight", "usual_ratio_limit",
           "usual_ratio_min_amounts", "usual_ratio_action")
_TABLE = FraudSettings.__table__
_SETS = ("blocked_counterparties", "blocked_countries")


@dataclass(frozen=True)
class SettingsVersion:
    version: int
    values: dict[str, Any]
    created_at: datetime
    created_by: str
    note: str
    active: bool


def plain(config: FraudConfig) -> dict[str, Any]:
    """The tunable values of ``config`` as JSON-ready data (sets as sorted lists)."""
    out: dict[str, Any] = {}
    for key in TUNABLE:
        value = getattr(config, key)
        out[key] = sorted(value) if key in _SETS else (dict(value) if key in ("amount_limits", "usual_ratio_min_amounts") else value)
    return out


def apply(base: FraudConfig, values: dict[str, Any]) -> FraudConfig:
    """``base`` with ``values`` applied (ValidationError for unknown keys or inconsistent values)."""
    unknown = sorted(set(values) - set(TUNABLE))
    if unknown:
        raise ValidationError(f"these fraud settings cannot be versioned: {', '.join(unknown)}")
    changes = {k: (frozenset(v) if k in _SETS else v) for k, v in values.items()}
    return replace(base, **changes)


def active_version(conn: Connection) -> int | None:
    """The active settings version (None: the code defaults apply). One indexed query."""
    return conn.scalar(select(func.max(FraudSettings.version)).where(FraudSettings.active.is_(True)))


def get(conn: Connection, version: int) -> SettingsVersion:
    r = conn.execute(select(_TABLE).where(_TABLE.c.version == version)).one_or_none()
    if r is None:
        raise NotFound(f"no fraud settings version {version}", version=version)
    return SettingsVersion(r.version, json.loads(r.settings), r.created_at, r.created_by, r.note, r.active)


def list_versions(conn: Connection) -> list[SettingsVersion]:
    rows = conn.execute(select(_TABLE).order_by(_TABLE.c.version.desc()))
    return [SettingsVersion(r.version, json.loads(r.settings), r.created_at, r.created_by, r.note, r.active)
            for r in rows]


def current(conn: Connection, base: FraudConfig) -> FraudConfig:
    """The configuration the screen uses now: ``base`` with the active version applied."""
    version = active_version(conn)
    return base if version is None else apply(base, get(conn, version).values)


def save(conn: Connection, base: FraudConfig, values: dict[str, Any], *, by: str, note: str = "") -> int:
    """Store the complete tunable state ``base`` + ``values`` as the next version and make it active.

    Validates by building the FraudConfig first (nothing is written for inconsistent values). Runs in the
    caller's transaction; returns the new version number.
    """
    full = plain(apply(base, values))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7423005)")  # one new version at a time
    version = (conn.scalar(select(func.max(FraudSettings.version))) or 0) + 1
    conn.execute(update(FraudSettings).where(FraudSettings.active.is_(True)).values(active=False))
    conn.execute(FraudSettings.__table__.insert().values(
        version=version, settings=json.dumps(full, sort_keys=True), created_at=utcnow(), created_by=by[:64],
        note=note[:300], active=True))
    return version


def activate(conn: Connection, version: int | None) -> None:
    """Make ``version`` the only active one (None: no version, the code defaults apply)."""
    if version is not None:
        get(conn, version)
    conn.execute(update(FraudSettings).where(FraudSettings.active.is_(True)).values(active=False))
    if version is not None:
        conn.execute(update(FraudSettings).where(FraudSettings.version == version).values(active=True))
