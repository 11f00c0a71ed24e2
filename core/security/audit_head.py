"""A signed record of the audit chain's head, kept outside the database.

The chain inside the database proves that no sealed entry was altered, inserted or removed *between*
signed batches; it cannot show that the newest batches (or the whole trail) were deleted, because what
is left is still a valid chain. So after every seal the head (chain position, entry hash) is signed with
the audit key and written beside it, at ``<key folder>/heads/<database>.json``, and to Redis under
``qenex:audit-head:<database>`` when QENEX_REDIS_URL is set. ``verify`` compares: a trail that ends
before a recorded head, or holds another entry at that position, was cut back (reported as removed).

``<database>`` is a digest of the database URL (password hidden), so one key folder can record several
databases. A record only moves forward: a seal never overwrites a record whose position is missing from
the chain (that is the evidence).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Engine

from core.security.audit_chain import dumps

log = logging.getLogger(__name__)
HEAD_CONTEXT = b"qenex-audit-head-v1"  # ML-DSA context: a head signature is never a batch signature
REDIS_PREFIX = "qenex:audit-head:"


def database_id(engine: Engine) -> str:
    """A stable short name for the database ``engine`` opens: SHA-256 of its URL (password hidden; a SQLite
    path made absolute), 24 hex digits."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class HeadRecord:
    """The chain head as sealed: position ``seq`` (0: empty) and the hash of the entry there."""

    database: str
    seq: int
    hash: str
    recorded_at: str  # ISO 8601 UTC
    where: str = ""  # "file …" or "Redis": where this copy was read from (not signed)

    def text(self) -> str:
        return dumps({"v": 1, "database": self.database, "seq": self.seq, "hash": self.hash,
                      "recorded_at": self.recorded_at})


@dataclass(frozen=True)
class HeadCheck:
    """What reading the head records found: the valid ones, and problems (bad signatures, unreadable)."""

    records: list[HeadRecord]
    problems: list[tuple[str, str]]  # (kind as in audit_verify.Problem, message)
    notes: list[str]  # not faults: e.g. Redis unreachable, so its copy was not compared


class HeadStore:
    """The head record of each database, in ``folder`` and optionally in Redis."""

    def __init__(self, folder: Path, redis_url: str | None = None) -> None:
        self.folder = Path(folder) / "heads"
        self.redis_url = redis_url

    def path(self, database: str) -> Path:
        return self.folder / f"{database}.json"

    # -- writing ------------------------------------------------------------------------------------------

    def write(self, record: HeadRecord, key_id: str, key: Any) -> None:
        """Sign ``record`` and store it in the file (atomically) and in Redis (best effort: a Redis outage is
        logged, never fatal to sealing)."""
        signed = json.dumps({"record": record.text(), "key_id": key_id,
                             "signature": base64.b64encode(key.sign(record.text().encode(), HEAD_CONTEXT)).decode()})
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.path(record.database)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(signed)
        os.replace(tmp, path)
        if self.redis_url:
            try:
                client = self._redis()
                try:
                    client.set(REDIS_PREFIX + record.database, signed)
                finally:
                    client.close()
            except Exception as exc:  # noqa: BLE001 - Redis is a second copy; the file is written
                log.warning("could not record the audit chain head in Redis: %s", _first_line(exc))

    # -- reading ------------------------------------------------------------------------------------------

    def read(self, database: str, trusted: dict[str, Any]) -> HeadCheck:
        """Every copy of ``database``'s head record, checked against the ``trusted`` public keys."""
        records: list[HeadRecord] = []
        problems: list[tuple[str, str]] = []
        notes: list[str] = []
        path = self.path(database)
        if path.exists():
            try:
                raw = path.read_text()
            except OSError as exc:
                problems.append(("altered", f"the head record {path} cannot be read ({exc.strerror})"))
            else:
                self._check(raw, f"file {path}", database, trusted, records, problems)
        if self.redis_url:
            try:
                client = self._redis()
                try:
                    raw = client.get(REDIS_PREFIX + database)
                finally:
                    client.close()
            except Exception as exc:  # noqa: BLE001 - say it was not compared; not a fault of the trail
                notes.append(f"the head record in Redis was not compared (Redis: {_first_line(exc)})")
            else:
                if raw is not None:
                    self._check(raw.decode() if isinstance(raw, bytes) else raw, "Redis", database, trusted,
                                records, problems)
        return HeadCheck(records=records, problems=problems, notes=notes)

    def newest(self, database: str, trusted: dict[str, Any]) -> HeadRecord | None:
        """The valid record with the highest position (None if there is none)."""
        records = self.read(database, trusted).records
        return max(records, key=lambda r: r.seq) if records else None

    @staticmethod
    def _check(raw: str, where: str, database: str, trusted: dict[str, Any], records: list[HeadRecord],
               problems: list[tuple[str, str]]) -> None:
        try:
            outer = json.loads(raw)
            text = str(outer["record"])
            data = json.loads(text)
            signature = base64.b64decode(outer["signature"], validate=True)
            record = HeadRecord(database=str(data["database"]), seq=int(data["seq"]), hash=str(data["hash"]),
                                recorded_at=str(data["recorded_at"]), where=where)
            key_id = str(outer["key_id"])
        except (ValueError, KeyError, TypeError):
            problems.append(("altered", f"the head record in {where} is unreadable (altered or truncated)"))
            return
        public = trusted.get(key_id)
        if public is None:
            problems.append(("unknown_key", f"the head record in {where} is signed by key {key_id}, which is not trusted"))
            return
        try:
            public.verify(signature, text.encode(), HEAD_CONTEXT)
        except InvalidSignature:
            problems.append(("bad_signature", f"the signature of the head record in {where} does not match it (altered)"))
            return
        if record.database != database:
            problems.append(("altered", f"the head record in {where} belongs to another database"))
            return
        records.append(record)

    def _redis(self):  # noqa: ANN202 - a redis.Redis client with short timeouts
        import redis

        return redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=2)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
