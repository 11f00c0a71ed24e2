"""The audit trail: append inside the caller's transaction, seal into a signed hash chain, verify, query.

Appending takes no lock (desks append concurrently). ``seal`` runs alone (PostgreSQL advisory lock,
SQLite write transaction), gives every committed unsealed entry the next chain position in id order,
chains it to the previous hash and signs each batch with ML-DSA-65. An entry that commits after
higher ids were sealed (PostgreSQL sequences) is simply sealed later: the chain position, not the id,
is the order. ``verify`` re-derives everything and changes nothing.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update

from core.persistence.base import utcnow
from core.persistence.models.security import AuditBatch, AuditEntry
from core.persistence.outage import retrying
from core.security.audit_chain import GENESIS, SIGNATURE_CONTEXT, Manifest, dumps, entry_hash, jsonable
from core.security.audit_head import HeadRecord, HeadStore, database_id
from core.security.audit_keys import ENV_VAR, AuditKeys
from core.security.audit_verify import MAX_PROBLEMS, Problem, Verifier, VerifyReport
from core.security.errors import AuditKeyError
from core.security.guard import authorize
from core.security.roles import Actor, Permission

__all__ = ["MAX_PROBLEMS", "AuditRecord", "AuditTrail", "Problem", "SealReport", "VerifyReport"]
log = logging.getLogger(__name__)
_APPEND = insert(AuditEntry.__table__)  # built once: append runs on every transfer
ROW_COLUMNS = ("at", "actor", "role", "device", "action", "target", "before", "after")  # AuditTrail.row's keys
SEAL_LOCK = 7423002  # pg_advisory_xact_lock key of the sealer
SEAL_INTERVAL = timedelta(seconds=60)  # verify fails on entries left unsealed longer (desks seal twice as often)


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as the viewer shows it."""

    id: int
    at: datetime
    actor: str
    role: str
    device: str | None
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    seq: int | None  # chain position; None until sealed


@dataclass(frozen=True)
class SealReport:
    entries: int
    batches: int
    head_seq: int  # the chain's last position after sealing (0: empty)
    head_hash: str


class AuditTrail:
    """Append, seal, verify and query the audit log. ``keys`` holds the signing key (outside the database)."""

    def __init__(self, keys: AuditKeys, batch_size: int = 128, *, redis_url: str | None = None,
                 seal_interval: timedelta = SEAL_INTERVAL, clock: Callable[[], datetime] = utcnow) -> None:
        self.keys = keys
        self.batch_size = batch_size
        self.seal_interval = seal_interval
        self.clock = clock  # verify's "now" for entries left unsealed too long
        self.heads = HeadStore(keys.key_path.parent, redis_url)
        self._key_ready = False
        self._trail_checked = False  # this database had no trail another key signed (appends need not ask again)
        self.appended = 0  # entries this object appended (committed or not): a command seals on exit if any

    def check_key(self, conn: Connection, *, cached: bool = False) -> None:
        """Refuse to go on when there is no signing key and this database already has a signed trail that no
        key in the key folder signed: a new key would make the real trail look broken (AuditKeyError).

        ``cached`` (appends): once this database was found fine, do not ask again; sealing, which is what
        would make a key, always asks while there is no key file."""
        if self._key_ready or (cached and self._trail_checked):
            return
        if self.keys.key_path.exists():
            self._key_ready = True
            return
        signers = set(conn.execute(select(AuditBatch.key_id).distinct().limit(100)).scalars())
        if signers and not signers & set(self.keys.trusted()):
            raise AuditKeyError(
                f"this database already has a signed audit trail, but there is no signing key for it at "
                f"{self.keys.key_path}; a new key would make the trail look broken, so nothing was done. Point "
                f"QENEX_DATA_DIR at the data folder that holds the trail's key, or {ENV_VAR} at the key file, "
                "and run again", path=str(self.keys.key_path))
        self._trail_checked = True

    # -- writing -----------------------------------------------------------------------------------------

    def append(self, conn: Connection, actor: Actor, action: str, target: str = "",
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               at: datetime | None = None) -> int:
        """Insert one entry inside the caller's transaction (it commits or rolls back with the change).

        ``before``/``after`` are the changed fields as plain data; never put secrets or hashes in them.
        Returns the entry id. Takes no lock.
        """
        self.check_key(conn, cached=True)
        result = conn.execute(_APPEND, self.row(actor, action, target, before, after, at))
        return int(result.inserted_primary_key[0])

    def row(self, actor: Actor, action: str, target: str = "", before: dict[str, Any] | None = None,
            after: dict[str, Any] | None = None, at: datetime | None = None) -> dict[str, Any]:
        """The ``audit_log`` row ``append`` inserts (keys: ROW_COLUMNS), for a caller that writes it in its own
        statement (the desk's one-statement posting, core.ledger.desk). ValueError as for ``append``."""
        if not action or len(action) > 64:
            raise ValueError("an audit action has 1 to 64 characters")
        if len(target) > 200:
            raise ValueError("an audit target has at most 200 characters")
        self.appended += 1  # a command seals on exit when it appended (app.context)
        return {
            "at": at or utcnow(), "actor": actor.username, "role": actor.role.value, "device": actor.device,
            "action": action, "target": target,
            "before": None if before is None else dumps(jsonable(before)),
            "after": None if after is None else dumps(jsonable(after)),
        }

    def seal(self, engine: Engine, max_entries: int | None = None) -> SealReport:
        """Chain and sign every committed unsealed entry (or the first ``max_entries``), one batch per transaction,
        then sign the new chain head into the head record outside the database (``audit_head``).

        Raises AuditKeyError when the key is missing for a database with a trail (see ``check_key``)."""
        signer: list[tuple[str, Any]] = []  # the signing key loads only when there is something to seal
        entries = batches = 0
        head_seq, head_hash = 0, GENESIS
        while max_entries is None or entries < max_entries:
            size = self.batch_size if max_entries is None else min(self.batch_size, max_entries - entries)
            # One batch is one transaction that re-reads what is unsealed: safe to repeat after a lost connection.
            count, head_seq, head_hash = retrying(lambda size=size: self._seal_batch(engine, size, signer))
            if not count:
                break
            entries += count
            batches += 1
        if head_seq:
            self._record_head(engine, head_seq, head_hash, signer[0] if signer else None, sealed=bool(entries))
        return SealReport(entries=entries, batches=batches, head_seq=head_seq, head_hash=head_hash)

    def _seal_batch(self, engine: Engine, size: int, signer: list) -> tuple[int, int, str]:
        """Chain and sign up to ``size`` unsealed entries in one transaction: (entries, head seq, head hash)."""
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SEAL_LOCK})")
            head_seq, head_hash = _head(conn)
            rows = conn.execute(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                .order_by(AuditEntry.id).limit(size)).all()
            if not rows:
                return 0, head_seq, head_hash
            if not signer:
                self.check_key(conn)
                signer.append(self.keys.signer())
            kid, key = signer[0]
            prev, chained = head_hash, []
            for seq, row in enumerate(rows, start=head_seq + 1):
                digest = entry_hash(prev, seq, row)
                chained.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
                prev = digest
            manifest = Manifest(first_seq=head_seq + 1, prev_hash=head_hash,
                                entries=tuple((c["b_id"], c["b_hash"]) for c in chained),
                                sealed_at=utcnow().isoformat())
            text = manifest.text()
            conn.execute(insert(AuditBatch).values(
                first_seq=manifest.first_seq, last_seq=manifest.last_seq, key_id=kid, manifest=text,
                signature=key.sign(text.encode(), SIGNATURE_CONTEXT), sealed_at=utcnow()))
            conn.execute(update(AuditEntry).where(AuditEntry.id == bindparam("b_id"))
                         .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"),
                                 hash=bindparam("b_hash")), chained)
            return len(rows), manifest.last_seq, manifest.last_hash

    def _record_head(self, engine: Engine, head_seq: int, head_hash: str, signer: tuple[str, Any] | None,
                     sealed: bool) -> None:
        """Move the signed head record forward to ``head_seq``; never over a record the chain no longer holds."""
        database = database_id(engine)
        if signer is None and not self.keys.key_path.exists():
            return  # nothing sealed here, and no key of ours: another desk records its own seals
        recorded = self.heads.newest(database, self.keys.trusted())
        if recorded is not None:
            if recorded.seq == head_seq and recorded.hash == head_hash and not sealed:
                return
            if recorded.seq > head_seq:
                log.warning("the audit trail ends at position %s before its recorded head %s; run qenex audit verify",
                            head_seq, recorded.seq)
                return
            with engine.connect() as conn:
                stored = conn.execute(select(AuditEntry.hash).where(AuditEntry.seq == recorded.seq)).scalar()
            if stored != recorded.hash:
                log.warning("the audit trail no longer holds its recorded head at position %s; run qenex audit "
                            "verify", recorded.seq)
                return
        kid, key = signer or self.keys.signer()
        self.heads.write(HeadRecord(database=database, seq=head_seq, hash=head_hash,
                                    recorded_at=utcnow().isoformat()), kid, key)

    # -- checking ----------------------------------------------------------------------------------------

    def verify(self, engine: Engine, actor: Actor | None = None) -> VerifyReport:
        """Check every batch signature and every sealed entry against its signed manifest; seal nothing.

        Problems name the entry (chain position and id) that was altered, removed or inserted, and
        batches whose signature is bad or made by an untrusted key. ``actor``, if given, needs AUDIT_VERIFY.
        """
        if actor is not None:
            authorize(engine, self, actor, Permission.AUDIT_VERIFY)
        trusted = self.keys.trusted()
        heads = self.heads.read(database_id(engine), trusted)  # before the walk: a seal meanwhile only adds
        return Verifier(trusted, stale_before=self.clock() - self.seal_interval, heads=heads).run(engine)

    # -- viewing -----------------------------------------------------------------------------------------

    def query(self, engine: Engine, actor: Actor, user: str | None = None, action: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              offset: int = 0, limit: int = 100) -> list[AuditRecord]:
        """Entries newest first, filtered by acting username, action (exact, or a prefix such as "login"
        for "login.*") and time (``since`` inclusive, ``until`` exclusive). Needs AUDIT_VIEW."""
        authorize(engine, self, actor, Permission.AUDIT_VIEW, "audit_log")
        stmt = _filtered(select(AuditEntry), user, action, since, until)
        stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(max(offset, 0)).limit(max(limit, 0))
        with engine.connect() as conn:
            return [_record(row) for row in conn.execute(stmt)]

    def count(self, engine: Engine, actor: Actor, user: str | None = None, action: str | None = None,
              since: datetime | None = None, until: datetime | None = None) -> int:
        """How many entries ``query`` would page through with these filters. Needs AUDIT_VIEW."""
        authorize(engine, self, actor, Permission.AUDIT_VIEW, "audit_log")
        with engine.connect() as conn:
            return int(conn.execute(_filtered(select(func.count()).select_from(AuditEntry),
                                              user, action, since, until)).scalar_one())

    def actions(self, engine: Engine, actor: Actor) -> list[str]:
        """Every distinct action recorded so far (for the viewer's filter list). Needs AUDIT_VIEW."""
        authorize(engine, self, actor, Permission.AUDIT_VIEW, "audit_log")
        with engine.connect() as conn:
            return list(conn.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())


def _head(conn: Connection) -> tuple[int, str]:
    """(last chain position, its hash) from the newest signed batch."""
    text = conn.execute(select(AuditBatch.manifest).order_by(AuditBatch.first_seq.desc()).limit(1)).scalar()
    if text is None:
        return 0, GENESIS
    manifest = Manifest.parse(text)
    return manifest.last_seq, manifest.last_hash


def _filtered(stmt, user, action, since, until):  # noqa: ANN001, ANN202
    if user:
        stmt = stmt.where(AuditEntry.actor == user)
    if action:
        stmt = stmt.where(or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".", autoescape=True)))
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


def _record(row: Any) -> AuditRecord:
    return AuditRecord(id=row.id, at=row.at, actor=row.actor, role=row.role, device=row.device, action=row.action,
                       target=row.target, before=None if row.before is None else json.loads(row.before),
                       after=None if row.after is None else json.loads(row.after), seq=row.seq)
