"""The audit trail: append inside the caller's transaction, seal into a signed hash chain, verify, query.

Appending takes no lock (desks append concurrently). ``seal`` runs alone (PostgreSQL advisory lock,
SQLite write transaction), gives every committed unsealed entry the next chain position in id order,
chains it to the previous hash and signs each batch with ML-DSA-65. An entry that commits after
higher ids were sealed (PostgreSQL sequences) is simply sealed later: the chain position, not the id,
is the order. ``verify`` re-derives everything and changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update

from core.persistence.base import utcnow
from core.persistence.models.security import AuditBatch, AuditEntry
from core.security.audit_chain import GENESIS, SIGNATURE_CONTEXT, Manifest, dumps, entry_hash, jsonable
from core.security.audit_keys import AuditKeys
from core.security.guard import authorize
from core.security.roles import Actor, Permission

_APPEND = insert(AuditEntry.__table__)  # built once: append runs on every transfer
ROW_COLUMNS = ("at", "actor", "role", "device", "action", "target", "before", "after")  # AuditTrail.row's keys
SEAL_LOCK = 7423002  # pg_advisory_xact_lock key of the sealer
MAX_PROBLEMS = 1000


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


@dataclass(frozen=True)
class Problem:
    """What verify found wrong. kind: altered | removed | inserted | bad_signature | unknown_key."""

    kind: str
    seq: int | None
    entry_id: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int  # sealed entries checked
    batches: int
    unsealed: int  # appended but not sealed yet (not a fault; run seal)
    oldest_unsealed_id: int | None
    head_seq: int
    head_hash: str
    problems: list[Problem] = field(default_factory=list)  # in chain order, at most MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "batches": self.batches, "unsealed": self.unsealed,
                "oldest_unsealed_id": self.oldest_unsealed_id, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "problems": [p.__dict__ for p in self.problems]}


class AuditTrail:
    """Append, seal, verify and query the audit log. ``keys`` holds the signing key (outside the database)."""

    def __init__(self, keys: AuditKeys, batch_size: int = 128) -> None:
        self.keys = keys
        self.batch_size = batch_size

    # -- writing -----------------------------------------------------------------------------------------

    def append(self, conn: Connection, actor: Actor, action: str, target: str = "",
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               at: datetime | None = None) -> int:
        """Insert one entry inside the caller's transaction (it commits or rolls back with the change).

        ``before``/``after`` are the changed fields as plain data; never put secrets or hashes in them.
        Returns the entry id. Takes no lock.
        """
        result = conn.execute(_APPEND, self.row(actor, action, target, before, after, at))
        return int(result.inserted_primary_key[0])

    @staticmethod
    def row(actor: Actor, action: str, target: str = "", before: dict[str, Any] | None = None,
            after: dict[str, Any] | None = None, at: datetime | None = None) -> dict[str, Any]:
        """The ``audit_log`` row ``append`` inserts (keys: ROW_COLUMNS), for a caller that writes it in its own
        statement (the desk's one-statement posting, core.ledger.desk). ValueError as for ``append``."""
        if not action or len(action) > 64:
            raise ValueError("an audit action has 1 to 64 characters")
        if len(target) > 200:
            raise ValueError("an audit target has at most 200 characters")
        return {
            "at": at or utcnow(), "actor": actor.username, "role": actor.role.value, "device": actor.device,
            "action": action, "target": target,
            "before": None if before is None else dumps(jsonable(before)),
            "after": None if after is None else dumps(jsonable(after)),
        }

    def seal(self, engine: Engine, max_entries: int | None = None) -> SealReport:
        """Chain and sign every committed unsealed entry (or the first ``max_entries``), one batch per transaction."""
        signer = None  # the signing key loads only when there is something to seal
        entries = batches = 0
        head_seq, head_hash = 0, GENESIS
        while max_entries is None or entries < max_entries:
            size = self.batch_size if max_entries is None else min(self.batch_size, max_entries - entries)
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SEAL_LOCK})")
                head_seq, head_hash = _head(conn)
                rows = conn.execute(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                    .order_by(AuditEntry.id).limit(size)).all()
                if not rows:
                    break
                if signer is None:
                    signer = self.keys.signer()
                kid, key = signer
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
                head_seq, head_hash = manifest.last_seq, manifest.last_hash
            entries += len(rows)
            batches += 1
        return SealReport(entries=entries, batches=batches, head_seq=head_seq, head_hash=head_hash)

    # -- checking ----------------------------------------------------------------------------------------

    def verify(self, engine: Engine, actor: Actor | None = None) -> VerifyReport:
        """Check every batch signature and every sealed entry against its signed manifest; seal nothing.

        Problems name the entry (chain position and id) that was altered, removed or inserted, and
        batches whose signature is bad or made by an untrusted key. ``actor``, if given, needs AUDIT_VERIFY.
        """
        if actor is not None:
            authorize(engine, self, actor, Permission.AUDIT_VERIFY)
        return _Verifier(self.keys.trusted()).run(engine)

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


class _Verifier:
    """Walks the signed batches in chain order and checks the entries each one covers."""

    PAGE = 256  # batches fetched per round trip

    def __init__(self, trusted: dict) -> None:  # noqa: ANN001
        self.trusted = trusted
        self.problems: list[Problem] = []
        self.entries = 0
        self.batches = 0

    def flag(self, kind: str, seq: int | None, entry_id: int | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, seq, entry_id, message))

    def run(self, engine: Engine) -> VerifyReport:
        expected, prev = 1, GENESIS
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot: a seal committing meanwhile must not look like entries outside any batch.
                conn.execution_options(isolation_level="REPEATABLE READ")
            after = 0
            while True:
                page = conn.execute(select(AuditBatch).where(AuditBatch.first_seq >= after)
                                    .order_by(AuditBatch.first_seq).limit(self.PAGE)).all()
                if not page:
                    break
                for batch in page:
                    expected, prev = self.batch(conn, batch, expected, prev)
                after = page[-1].first_seq + 1
            for row in conn.execute(select(AuditEntry.id, AuditEntry.seq).where(AuditEntry.seq >= expected)
                                    .order_by(AuditEntry.seq).limit(MAX_PROBLEMS)):
                self.flag("inserted", row.seq, row.id, f"entry {row.id} at position {row.seq} is not covered "
                          "by any signed batch (inserted, or its batch was removed)")
            unsealed, oldest = conn.execute(select(func.count(), func.min(AuditEntry.id))
                                            .where(AuditEntry.seq.is_(None))).one()
        return VerifyReport(entries=self.entries, batches=self.batches, unsealed=int(unsealed),
                            oldest_unsealed_id=oldest, head_seq=expected - 1, head_hash=prev, problems=self.problems)

    def batch(self, conn: Connection, batch: Any, expected: int, prev: str) -> tuple[int, str]:
        """Check one batch; return the next expected chain position and the hash to chain from."""
        self.batches += 1
        try:
            manifest = Manifest.parse(batch.manifest)
        except (ValueError, KeyError, TypeError):
            self.flag("altered", batch.first_seq, None, f"the manifest of the batch at position {batch.first_seq} "
                      "is unreadable")
            return batch.last_seq + 1, prev
        first_id = manifest.entries[0][0]
        public = self.trusted.get(batch.key_id)
        if public is None:
            self.flag("unknown_key", manifest.first_seq, first_id, f"the batch from position {manifest.first_seq} "
                      f"(entry {first_id}) is signed by key {batch.key_id}, which is not trusted")
        else:
            try:
                public.verify(batch.signature, batch.manifest.encode(), SIGNATURE_CONTEXT)
            except InvalidSignature:
                self.flag("bad_signature", manifest.first_seq, first_id, f"the signature of the batch from "
                          f"position {manifest.first_seq} (entry {first_id}) does not match its manifest")
        if (batch.first_seq, batch.last_seq) != (manifest.first_seq, manifest.last_seq):
            self.flag("altered", manifest.first_seq, first_id, f"the batch row from position {batch.first_seq} "
                      "does not match its signed manifest")
        if manifest.first_seq > expected:
            self.gap(conn, expected, manifest.first_seq - 1)
        elif manifest.first_seq < expected:
            self.flag("inserted", manifest.first_seq, first_id, f"a second batch claims position "
                      f"{manifest.first_seq} (entry {first_id})")
        elif manifest.prev_hash != prev:
            self.flag("removed", manifest.first_seq, first_id, f"the chain is broken before entry {first_id} "
                      f"at position {manifest.first_seq}: entries before it were removed or replaced")
        self.entries_of(conn, manifest)
        return manifest.last_seq + 1, manifest.last_hash

    def gap(self, conn: Connection, first: int, last: int) -> None:
        rows = conn.execute(select(AuditEntry.id, AuditEntry.seq).where(AuditEntry.seq.between(first, last))
                            .order_by(AuditEntry.seq).limit(MAX_PROBLEMS)).all()
        if not rows:
            self.flag("removed", first, None, f"positions {first} to {last} are missing: their entries and "
                      "batch were removed")
        for row in rows:
            self.flag("inserted", row.seq, row.id, f"entry {row.id} at position {row.seq} is not covered by any "
                      "signed batch (inserted, or its batch was removed)")

    def entries_of(self, conn: Connection, manifest: Manifest) -> None:
        ids = [entry_id for entry_id, _ in manifest.entries]
        rows = conn.execute(select(AuditEntry).where(or_(AuditEntry.seq.between(manifest.first_seq, manifest.last_seq),
                                                         AuditEntry.id.in_(ids)))).all()
        by_seq = {r.seq: r for r in rows if r.seq is not None}
        by_id = {r.id: r for r in rows}
        signed = set(ids)
        prev = manifest.prev_hash
        for seq, (entry_id, signed_hash) in enumerate(manifest.entries, start=manifest.first_seq):
            self.entries += 1
            row = by_seq.get(seq)
            if row is not None and row.id not in signed:
                self.flag("inserted", seq, row.id, f"entry {row.id} at position {seq} is not the entry signed for "
                          "that position")
            if row is None or row.id != entry_id:
                moved = by_id.get(entry_id)
                if moved is None:
                    self.flag("removed", seq, entry_id, f"entry {entry_id} at position {seq} was removed")
                else:
                    self.flag("altered", seq, entry_id, f"entry {entry_id} was moved from position {seq} "
                              f"to {moved.seq if moved.seq is not None else 'the unsealed entries'}")
            elif entry_hash(prev, seq, row) != signed_hash:
                self.flag("altered", seq, entry_id, f"entry {entry_id} at position {seq} was altered "
                          "(its content does not match the signed hash)")
            elif (row.prev_hash, row.hash) != (prev, signed_hash):
                self.flag("altered", seq, entry_id, f"the stored hashes of entry {entry_id} at position {seq} "
                          "were altered")
            prev = signed_hash
