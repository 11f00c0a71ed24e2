"""The operator's time zone: every time the console and the command line show is in it, with the zone named.

``QENEX_TIMEZONE`` (an IANA name such as ``Europe/Berlin``) overrides the desk's own zone, which comes from
``TZ`` or the system's ``/etc/localtime`` (with its daylight-saving rules); else the fixed local offset.
The database keeps UTC.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigurationError


@lru_cache(maxsize=4)
def _zone(name: str | None) -> tzinfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"QENEX_TIMEZONE={name!r} is not a time zone; use an IANA name such as "
                                     "Europe/Berlin or America/New_York") from None
    tz_env = os.environ.get("TZ", "").lstrip(":")
    if tz_env:
        try:
            return ZoneInfo(tz_env)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = Path("/etc/localtime")
    if local.exists():
        try:
            with local.open("rb") as fh:
                key = os.path.realpath(local).split("zoneinfo/")[-1] if "zoneinfo/" in os.path.realpath(local) else "local"
                return ZoneInfo.from_file(fh, key=key)
        except (OSError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or timezone.utc


def operator_zone() -> tzinfo:
    """The zone to show times in (see the module docstring)."""
    return _zone(os.environ.get("QENEX_TIMEZONE", "").strip() or None)


def zone_name(zone: tzinfo | None = None) -> str:
    """``Europe/Berlin (UTC+01:00)``: the zone's name and its offset now."""
    zone = zone or operator_zone()
    now = datetime.now(zone)
    offset = now.strftime("%z")
    label = getattr(zone, "key", None) or now.tzname() or "local"
    return f"{label} (UTC{offset[:3]}:{offset[3:]})"


def local(when: datetime, zone: tzinfo | None = None, *, seconds: bool = False, named: bool = True) -> str:
    """``2026-03-02 14:05 CET``: a UTC time in the operator's zone, with the zone's abbreviation (``named``;
    a column whose header names the zone leaves it out)."""
    at = when.astimezone(zone or operator_zone())
    text = f"{at:%Y-%m-%d %H:%M}{':%02d' % at.second if seconds else ''}"
    return f"{text} {at.tzname() or ''}".rstrip() if named else text
