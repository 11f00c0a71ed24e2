"""Checking the audit trail: every signed batch, every sealed entry, entries left unsealed too long, and
the chain head against its signed record outside the database (``audit_head``). Changes nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Connection, Engine, func, or_, select

from core.persistence.models.security import AuditBatch, AuditEntry
from core.security.audit_chain import GENESIS, SIGNATURE_CONTEXT, Manifest, entry_hash
from core.words import counted

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """What verify found wrong. kind: altered | removed | inserted | bad_signature | unknown_key | unsealed."""

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
    notes: list[str] = field(default_factory=list)  # not faults (e.g. Redis not reachable to compare its head)
    head_recorded: int | None = None  # the newest position a signed head record names (None: no record)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "batches": self.batches, "unsealed": self.unsealed,
                "oldest_unsealed_id": self.oldest_unsealed_id, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "head_recorded": self.head_recorded, "notes": self.notes,
                "problems": [p.__dict__ for p in self.problems]}


class Verifier:
    """Walks the signed batches in chain order and checks the entries each one covers.

    ``stale_before``: an entry still unsealed that was appended before this moment is a fault (it could be
    altered unnoticed). ``heads``: the signed head records to compare the chain with."""

    PAGE = 256  # batches fetched per round trip

    def __init__(self, trusted: dict, stale_before: datetime | None = None,  # noqa: ANN001
                 heads: Any = None) -> None:
        self.trusted = trusted
        self.stale_before = stale_before
        self.heads = heads  # audit_head.HeadCheck or None
        self.problems: list[Problem] = []
        self.entries = 0
        self.batches = 0
        self.wanted = {r.seq for r in heads.records} if heads is not None else set()
        self.hash_at: dict[int, str] = {}  # signed hash at each position a head record names

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
            if unsealed and self.stale_before is not None:
                self.stale(conn)
        self.compare_heads(expected - 1)
        return VerifyReport(entries=self.entries, batches=self.batches, unsealed=int(unsealed),
                            oldest_unsealed_id=oldest, head_seq=expected - 1, head_hash=prev, problems=self.problems,
                            notes=list(self.heads.notes) if self.heads is not None else [],
                            head_recorded=max((r.seq for r in self.heads.records), default=None)
                            if self.heads is not None else None)

    def stale(self, conn: Connection) -> None:
        """Flag entries left unsealed since before ``stale_before``: sealing should have covered them."""
        count, oldest_at = conn.execute(select(func.count(), func.min(AuditEntry.at)).where(
            AuditEntry.seq.is_(None), AuditEntry.at < self.stale_before)).one()
        if not count:
            return
        oldest_id = conn.execute(select(AuditEntry.id).where(AuditEntry.seq.is_(None), AuditEntry.at < self.stale_before)
                                 .order_by(AuditEntry.at, AuditEntry.id).limit(1)).scalar()
        self.flag("unsealed", None, oldest_id, f"{counted(count, 'entry', 'entries')} "
                  f"{'was' if count == 1 else 'were'} left unsealed longer than the sealing interval "
                  f"(the oldest, entry {oldest_id}, since {oldest_at:%Y-%m-%d %H:%M:%S} UTC): they could have been "
                  "altered unnoticed; run qenex audit seal, then find the desk or command that did not seal")

    def compare_heads(self, head_seq: int) -> None:
        """A trail that ends before a recorded head, or holds another entry there, was cut back."""
        if self.heads is None:
            return
        for kind, message in self.heads.problems:
            self.flag(kind, None, None, message)
        for record in sorted(self.heads.records, key=lambda r: -r.seq):
            if record.seq > head_seq:
                what = ("the whole trail was removed" if head_seq == 0 else
                        f"positions {head_seq + 1} to {record.seq} were removed with their batches")
                self.flag("removed", head_seq + 1, None, f"the trail ends at position {head_seq}, but the signed "
                          f"head record in {record.where} (written {record.recorded_at[:19]}) says it reached "
                          f"position {record.seq}: {what}")
            elif record.seq and self.hash_at.get(record.seq) != record.hash:
                self.flag("removed", record.seq, None, f"the entry at position {record.seq} is not the one the "
                          f"signed head record in {record.where} names: the chain was cut back and rebuilt from "
                          "there")

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
        for seq in self.wanted:
            if manifest.first_seq <= seq <= manifest.last_seq:
                self.hash_at[seq] = manifest.entries[seq - manifest.first_seq][1]
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
