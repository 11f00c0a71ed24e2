"""One live-update event: a name from the list below, a small JSON payload, where and when it happened.

Names (PLAN.md, "Live updates"): ``transaction.created``, ``transaction.completed``, ``hold.placed``,
``hold.released``, ``fraud.detected``, ``alert.updated``, ``approval.requested``, ``approval.decided``,
``drawer.updated``, ``payment.updated``, ``case.updated``, ``recommendation.created``,
``recommendation.updated`` (accepted, rejected, rolled back), ``recommendation.run`` (a retrain started or
ended), ``account.updated``, ``standing.ran``. ``bus.resync`` is made by the bus itself after a lost connection came back: events may
have been missed, so a view reloads everything it shows.

Payloads are plain JSON (at most ``MAX_BYTES`` encoded: PostgreSQL's NOTIFY limit is 8,000 bytes) and
carry ids and account numbers, never the data itself: a view reads what it shows from the database.
"""
from __future__ import annotations

import json
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

TRANSACTION_CREATED = "transaction.created"
TRANSACTION_COMPLETED = "transaction.completed"
HOLD_PLACED = "hold.placed"
HOLD_RELEASED = "hold.released"
FRAUD_DETECTED = "fraud.detected"
ALERT_UPDATED = "alert.updated"
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_DECIDED = "approval.decided"
DRAWER_UPDATED = "drawer.updated"
PAYMENT_UPDATED = "payment.updated"
CASE_UPDATED = "case.updated"
RECOMMENDATION_CREATED = "recommendation.created"
RECOMMENDATION_UPDATED = "recommendation.updated"
RECOMMENDATION_RUN = "recommendation.run"
ACCOUNT_UPDATED = "account.updated"
STANDING_RAN = "standing.ran"
RESYNC = "bus.resync"

MAX_BYTES = 7_900
MAX_ACCOUNTS = 100  # account numbers listed in one payload; more set "accounts_truncated": true
_NAME = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
ORIGIN = f"{socket.gethostname()[:40]}:{os.getpid()}"  # this process, as other desks see it


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


@dataclass(frozen=True)
class Event:
    """``name`` (dotted, lower case), ``payload`` (JSON object), ``origin`` (host:pid that published it),
    ``at`` (UTC ISO 8601 time of publishing) and ``id`` (unique, for logs)."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    origin: str = ORIGIN
    at: str = ""
    id: str = ""
    _text: str | None = field(default=None, init=False, compare=False, repr=False)  # encode(), kept by new()

    @classmethod
    def new(cls, name: str, payload: dict[str, Any] | None = None) -> "Event":
        """A new event; ValueError if the name is malformed or the payload is not a small JSON object."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"event names are dotted lower-case words like 'transaction.created', got {name!r}")
        payload = dict(payload or {})
        event = cls(name, payload, ORIGIN, datetime.now(timezone.utc).isoformat(), uuid.uuid4().hex[:16])
        text = event.encode()
        if len(text) > MAX_BYTES:
            raise ValueError(f"event {name} payload is over {MAX_BYTES} bytes; send ids, not data")
        object.__setattr__(event, "_text", text)  # sent as checked (the payload is the event's own copy)
        return event

    def encode(self) -> str:
        if self._text is not None:
            return self._text
        return json.dumps({"n": self.name, "p": self.payload, "o": self.origin, "t": self.at, "i": self.id},
                          default=_default, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | bytes) -> "Event":
        """The event in ``text``; ValueError if it is not one (a stranger on the channel)."""
        try:
            data = json.loads(text)
            return cls(str(data["n"]), dict(data.get("p") or {}), str(data.get("o", "")), str(data.get("t", "")),
                       str(data.get("i", "")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a QENEX event: {str(text)[:80]!r}") from exc

    def accounts(self) -> set[str] | None:
        """Account numbers this event is about; None means "possibly any" (a truncated list or a resync)."""
        if self.name == RESYNC or self.payload.get("accounts_truncated"):
            return None
        return {str(a) for a in self.payload.get("accounts", ())}

    def matches(self, names: "tuple[str, ...] | None") -> bool:
        """True if ``names`` (exact names, or prefixes ending in ``.*``) is None or selects this event.
        A resync matches every filter."""
        if names is None or self.name == RESYNC:
            return True
        return any(self.name == n or (n.endswith(".*") and self.name.startswith(n[:-1])) for n in names)


def account_list(numbers: "list[str] | tuple[str, ...] | set[str]") -> dict[str, Any]:
    """``{"accounts": [...]}`` for a payload, capped at ``MAX_ACCOUNTS`` (then flagged as truncated)."""
    unique = list(dict.fromkeys(str(n) for n in numbers if n))
    if len(unique) > MAX_ACCOUNTS:
        return {"accounts": unique[:MAX_ACCOUNTS], "accounts_truncated": True}
    return {"accounts": unique}
