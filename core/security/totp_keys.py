"""TOTP secrets encrypted at rest: AES-256-GCM with versioned keys kept beside the audit signing key.

The key file is ``<audit key folder>/totp-secrets.keys`` (JSON, mode 0600, created on first use); like the
audit key it never enters the database, so a copy of the database alone gives no second factor away.
A stored secret reads ``enc:<version>:<base64 of nonce ‖ ciphertext ‖ tag>``; the username is bound in as
associated data, so a ciphertext copied onto another user's row does not decrypt. A value without the
``enc:`` prefix is a secret stored in clear by an older version: it is read, and re-encrypted at once
(``UserService`` does this on load and in ``encrypt_clear_secrets``).

Rotation (``qenex user rotate-totp-key``): a new highest version is added to the file, every secret is
re-encrypted with it in one transaction, then the older versions are dropped from the file. Until the
transaction commits every version stays in the file, so an interrupted rotation loses nothing.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.security.errors import AuditKeyError

FILE_NAME = "totp-secrets.keys"
PREFIX = "enc:"
KEY_BYTES = 32
NONCE_BYTES = 12


class TotpKeyError(AuditKeyError):
    """The TOTP key file is missing a version, unreadable, or readable by others."""

    code = "totp_key"


class TotpSecrets:
    """Encrypt and decrypt TOTP secrets with the versioned keys in ``folder/totp-secrets.keys``. Thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / FILE_NAME
        self._keys: dict[int, bytes] | None = None
        self._lock = threading.Lock()

    # -- keys ---------------------------------------------------------------------------------------------

    def keys(self) -> dict[int, bytes]:
        """Every key version (read once; the file is created with version 1 on first use)."""
        with self._lock:
            if self._keys is None:
                self._keys = self._read() if self.path.exists() else self._create()
            return self._keys

    @property
    def version(self) -> int:
        return max(self.keys())

    def add_version(self) -> int:
        """Add a new highest version to the file (older versions stay until ``drop_older``)."""
        keys = dict(self.keys())
        version = max(keys) + 1
        keys[version] = secrets.token_bytes(KEY_BYTES)
        self._write(keys)
        return version

    def drop_older(self, than: int) -> None:
        """Forget every version below ``than`` (after everything was re-encrypted with ``than``)."""
        keys = {v: k for v, k in self.keys().items() if v >= than}
        self._write(keys)

    # -- secrets ------------------------------------------------------------------------------------------

    @staticmethod
    def is_encrypted(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def encrypt(self, secret: str, username: str, version: int | None = None) -> str:
        version = version or self.version
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._key(version)).encrypt(nonce, secret.encode(), _aad(username))
        return f"{PREFIX}{version}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, username: str) -> str:
        """The base32 secret from a stored value (a clear one comes back as it is)."""
        if not self.is_encrypted(stored):
            return stored
        version_text, _, body = stored[len(PREFIX):].partition(":")
        try:
            raw = base64.b64decode(body, validate=True)
            version = int(version_text)
        except ValueError:
            raise TotpKeyError(f"the stored authenticator secret of {username} is damaged; reset their MFA "
                               "(qenex user reset-mfa)", username=username) from None
        try:
            return AESGCM(self._key(version)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(username)).decode()
        except InvalidTag:
            raise TotpKeyError(f"the stored authenticator secret of {username} does not decrypt with key version "
                               f"{version} in {self.path} (a wrong key file, or the row was altered); restore the "
                               "key file or reset their MFA (qenex user reset-mfa)", username=username) from None

    def needs_rotation(self, stored: str) -> bool:
        """Whether ``stored`` is clear or under an older version than the newest."""
        return not self.is_encrypted(stored) or not stored.startswith(f"{PREFIX}{self.version}:")

    # -- the file -----------------------------------------------------------------------------------------

    def _key(self, version: int) -> bytes:
        keys = self.keys()
        if version not in keys and self.path.exists():  # another desk or command rotated: read the file again
            with self._lock:
                self._keys = keys = self._read()
        try:
            return keys[version]
        except KeyError:
            raise TotpKeyError(f"TOTP key version {version} is missing from {self.path}; restore that key file "
                               "(it sits beside the audit signing key)", path=str(self.path)) from None

    def _read(self) -> dict[int, bytes]:
        if os.name == "posix" and self.path.stat().st_mode & 0o077:
            raise TotpKeyError(f"the TOTP key file {self.path} is readable by others; chmod 600 it", path=str(self.path))
        try:
            data = json.loads(self.path.read_text())
            keys = {int(v): base64.b64decode(k, validate=True) for v, k in data["keys"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise TotpKeyError(f"{self.path} is not a QENEX TOTP key file", path=str(self.path)) from None
        if not keys or any(len(k) != KEY_BYTES for k in keys.values()):
            raise TotpKeyError(f"{self.path} holds no usable AES-256 key", path=str(self.path))
        return keys

    def _create(self) -> dict[int, bytes]:
        keys = {1: secrets.token_bytes(KEY_BYTES)}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return self._read()
        with os.fdopen(fd, "w") as out:
            out.write(_dump(keys))
        return keys

    def _write(self, keys: dict[int, bytes]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_dump(keys))
        os.replace(tmp, self.path)
        with self._lock:
            self._keys = keys


def _aad(username: str) -> bytes:
    return b"qenex-totp-secret-v1:" + username.encode()


def _dump(keys: dict[int, bytes]) -> str:
    return json.dumps({"format": "qenex-totp-keys/1",
                       "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(keys.items())}})
