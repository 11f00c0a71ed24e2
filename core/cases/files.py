"""Case files: evidence (screenshots, statements, letters) stored in the database with the case.

Each file is at most ``MAX_FILE_BYTES`` and a case holds at most ``MAX_CASE_BYTES`` in total, so the
shared database stays healthy; the SHA-256 of every file is kept and shown, so a copy can be checked.
"""
from __future__ import annotations

import hashlib
import mimetypes
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, func, select

from core.cases import timeline
from core.cases.cases import require_active
from core.cases.errors import FileTooLarge
from core.cases.holds import touch_case
from core.errors import NotFound, ValidationError
from core.persistence.models import CaseFile

_FILE = CaseFile.__table__
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CASE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class FileInfo:
    id: int
    case_id: int
    name: str
    mime: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "case_id": self.case_id, "name": self.name, "mime": self.mime, "size": self.size,
                "sha256": self.sha256, "added_by": self.added_by, "added_at": self.added_at.isoformat()}


def clean_name(name: str) -> str:
    """The file's base name, normalized (NFC), without control characters; at most 200 characters."""
    base = PurePath(str(name or "").replace("\\", "/")).name
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    if not base or base in (".", ".."):
        raise ValidationError("a file needs a name (e.g. statement.pdf)")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) < 20 else base[:200]
    return base


def add(conn: Connection, actor: str, case_id: int, name: str, data: bytes, now: datetime,
        mime: str | None = None) -> FileInfo:
    """Store ``data`` as a file of the case; FileTooLarge over the limits, ValidationError if empty."""
    case = require_active(conn, case_id)
    name = clean_name(name)
    if not isinstance(data, bytes | bytearray):
        raise ValidationError("a file's content must be bytes")
    if not data:
        raise ValidationError(f"{name} is empty; attach a file with content")
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(f"{name} is {len(data) / 1048576:.1f} MB; a case file may be at most "
                           f"{MAX_FILE_BYTES // 1048576} MB (attach a smaller copy or an extract)", size=len(data))
    used = conn.execute(select(func.coalesce(func.sum(_FILE.c.size), 0)).where(_FILE.c.case_id == case.id)).scalar_one()
    if used + len(data) > MAX_CASE_BYTES:
        raise FileTooLarge(f"case #{case.id} already holds {used / 1048576:.1f} MB of files; the limit is "
                           f"{MAX_CASE_BYTES // 1048576} MB per case", size=len(data))
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    digest = hashlib.sha256(data).hexdigest()
    file_id = conn.execute(_FILE.insert().values(case_id=case.id, name=name, mime=mime[:100], size=len(data),
                                                 sha256=digest, data=bytes(data), added_by=actor, added_at=now)
                           .returning(_FILE.c.id)).scalar_one()
    timeline.add(conn, actor, "file_added", now, case_id=case.id, name=name, size=len(data), sha256=digest, file=file_id)
    touch_case(conn, case.id, now)
    return FileInfo(file_id, case.id, name, mime, len(data), digest, actor, now)


def listing(conn: Connection, case_id: int) -> list[FileInfo]:
    cols = [c for c in _FILE.c if c.name != "data"]
    return [FileInfo(r.id, r.case_id, r.name, r.mime, r.size, r.sha256, r.added_by, r.added_at)
            for r in conn.execute(select(*cols).where(_FILE.c.case_id == case_id).order_by(_FILE.c.id))]


def content(conn: Connection, file_id: int) -> tuple[FileInfo, bytes]:
    row = conn.execute(select(_FILE).where(_FILE.c.id == file_id)).first()
    if row is None:
        raise NotFound(f"no case file #{file_id}", file_id=file_id)
    return FileInfo(row.id, row.case_id, row.name, row.mime, row.size, row.sha256, row.added_by, row.added_at), bytes(row.data)
