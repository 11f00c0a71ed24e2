"""Where user rows' TOTP secrets are encrypted and decrypted: on write, on load (clear ones re-encrypted at
once), in a sweep over every user, and in key rotation. The keys: ``core.security.totp_keys``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from core.persistence.models.security import User
from core.security.totp_keys import PREFIX, TotpKeyError, TotpSecrets


@dataclass(frozen=True)
class RotationReport:
    version: int  # the key version every secret is now encrypted with
    secrets: int  # user rows re-encrypted
    dropped: list[int]  # key versions removed from the file


class TotpStore:
    """The TOTP secrets of ``engine``'s users, encrypted with ``keys`` (None: stored in clear, tests only)."""

    def __init__(self, engine: Engine, keys: TotpSecrets | None) -> None:
        self.engine = engine
        self.keys = keys

    def stored(self, secret: str, username: str, conn: Connection | None = None) -> str:
        """What goes into ``users.totp_secret``. A first key is made only while no secret is encrypted yet
        (checked on ``conn`` if given: SQLite would wait on a second connection)."""
        if self.keys is None:
            return secret
        if not self.keys.path.exists():
            self._refuse_new_key(conn)
        return self.keys.encrypt(secret, username)

    def plain(self, row: Any, *, conn: Connection | None = None, rewrite: bool = True) -> str:
        """The base32 secret of a user row. A secret still in clear (an older version wrote it) is encrypted
        in place at once: in ``conn``'s transaction if given, else in one of its own."""
        if self.keys is None:
            if row.totp_secret.startswith(PREFIX):
                raise TotpKeyError("the authenticator secrets are encrypted, but this service was given no TOTP key "
                                   "store; build it with the audit trail (or totp_secrets)")
            return row.totp_secret
        if self.keys.is_encrypted(row.totp_secret) and not self.keys.path.exists():
            raise TotpKeyError(f"the authenticator secrets are encrypted, but there is no TOTP key file at "
                               f"{self.keys.path}; point QENEX_DATA_DIR at the data folder that holds it, or "
                               "QENEX_AUDIT_KEY at the audit key beside it", path=str(self.keys.path))
        secret = self.keys.decrypt(row.totp_secret, row.username)
        if rewrite and not self.keys.is_encrypted(row.totp_secret):
            if conn is not None:
                self._rewrite(row, self.stored(secret, row.username, conn), conn)
            else:
                with self.engine.begin() as own:
                    self._rewrite(row, self.stored(secret, row.username, own), own)
        return secret

    def encrypt_clear(self) -> int:
        """Encrypt every secret still stored in clear; returns how many (0 when all are encrypted already)."""
        if self.keys is None:
            return 0
        with self.engine.begin() as conn:
            rows = conn.execute(select(User.id, User.username, User.totp_secret)
                                .where(User.totp_secret.not_like(f"{PREFIX}%"))).all()
            for row in rows:
                self._rewrite(row, self.stored(row.totp_secret, row.username, conn), conn)
        return len(rows)

    def rotate(self, record: Any = None) -> RotationReport:
        """Re-encrypt every secret with a new key version in one transaction, then drop the older versions.

        ``record(conn, version, count)`` audits it inside that transaction. Raises TotpKeyError when a
        secret does not decrypt (nothing is changed then; the new version stays unused in the file)."""
        if self.keys is None:
            raise TotpKeyError("TOTP secrets are not encrypted here (no key store configured)")
        if not self.keys.path.exists():
            self._refuse_new_key()
        before = sorted(self.keys.keys())
        version = self.keys.add_version()
        with self.engine.begin() as conn:
            rows = conn.execute(select(User.id, User.username, User.totp_secret).with_for_update()).all()
            for row in rows:
                secret = self.keys.decrypt(row.totp_secret, row.username)
                self._rewrite(row, self.keys.encrypt(secret, row.username, version), conn)
            if record is not None:
                record(conn, version, len(rows))
        self.keys.drop_older(version)
        return RotationReport(version=version, secrets=len(rows), dropped=before)

    @staticmethod
    def _rewrite(row: Any, value: str, conn: Connection) -> None:
        conn.execute(update(User).where(User.id == row.id, User.totp_secret == row.totp_secret)
                     .values(totp_secret=value))

    def _refuse_new_key(self, conn: Connection | None = None) -> None:
        query = select(User.username).where(User.totp_secret.like(f"{PREFIX}%")).limit(1)
        if conn is not None:
            found = conn.execute(query).scalar()
        else:
            with self.engine.connect() as own:
                found = own.execute(query).scalar()
        if found is not None:
            raise TotpKeyError(f"this database's authenticator secrets are encrypted with a key that is not at "
                               f"{self.keys.path}; a new key would lock every user out, so nothing was done. Point "
                               "QENEX_DATA_DIR at the data folder that holds it, or QENEX_AUDIT_KEY at the audit key "
                               "beside it", path=str(self.keys.path))
