"""Canonical forms of the audit trail: entry JSON, the hash chain and the signed batch manifest."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64  # prev_hash of the very first entry
SIGNATURE_CONTEXT = b"qenex-audit-batch-v1"  # ML-DSA context string: these signatures mean nothing elsewhere


_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (dates ISO 8601, Decimals as strings, enums by value).

    Refuses keys that look like secrets: before/after data must never hold passwords or secrets.
    """
    if type(value) in _PLAIN:  # most values: answered before the checks below (a subclass, e.g. an enum, is not)
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = str(key.value if isinstance(key, Enum) else key)
            lower = name.lower()
            if "password" in lower or "secret" in lower:
                raise ValueError(f"audit data must not contain secrets (key {name!r})")
            out[name] = item if type(item) in _PLAIN else jsonable(item)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("audit data holds a naive datetime; use UTC-aware timestamps")
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"audit data cannot hold {type(value).__name__}")


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"unparseable": text}  # hashes differently from anything append could have written


def entry_hash(prev_hash: str, seq: int, row: Any) -> str:
    """SHA-256 over ``prev_hash`` and the canonical JSON of the entry at chain position ``seq``."""
    body = dumps({
        "id": row.id, "seq": seq, "at": row.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor": row.actor, "role": row.role, "device": row.device, "action": row.action,
        "target": row.target, "before": _loads(row.before), "after": _loads(row.after),
    })
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """What one signature covers: a contiguous run of the chain, as (entry id, entry hash) pairs."""

    first_seq: int
    prev_hash: str
    entries: tuple[tuple[int, str], ...]
    sealed_at: str

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.entries) - 1

    @property
    def last_hash(self) -> str:
        return self.entries[-1][1]

    def text(self) -> str:
        return dumps({"v": 1, "first_seq": self.first_seq, "prev_hash": self.prev_hash,
                      "entries": [list(e) for e in self.entries], "sealed_at": self.sealed_at})

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        """Raises ValueError when ``text`` is not a manifest."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != 1 or not data.get("entries"):
            raise ValueError("not a version 1 audit manifest")
        return cls(first_seq=int(data["first_seq"]), prev_hash=str(data["prev_hash"]),
                   entries=tuple((int(i), str(h)) for i, h in data["entries"]), sealed_at=str(data["sealed_at"]))
