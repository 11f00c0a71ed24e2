"""The audit signing key (ML-DSA-65), kept in a file outside the database, and the trusted public keys.

Layout: the private key at ``key_path`` (PEM, mode 0600, created on first use) and public keys as
``*.pub`` files in the same folder; the key's own ``<name>.pub`` is written next to it. Every ``.pub``
file there is trusted by verify, so a key that was rotated out keeps verifying its old batches.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PrivateKey, MLDSA65PublicKey

from core.security.errors import AuditKeyError

ENV_VAR = "QENEX_AUDIT_KEY"
KEY_NAME = "ml-dsa-65.key"


def default_key_path(data_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """``$QENEX_AUDIT_KEY``, else ``<data_dir>/audit/ml-dsa-65.key``."""
    return Path(environ.get(ENV_VAR) or Path(data_dir) / "audit" / KEY_NAME)


def key_id(public_key: MLDSA65PublicKey) -> str:
    """A short, stable name for a public key: the first 16 bytes of SHA-256 over its raw bytes, in hex."""
    return hashlib.sha256(public_key.public_bytes_raw()).hexdigest()[:32]


class AuditKeys:
    """Loads (or on first use creates) the signing key and reads the trusted public keys."""

    def __init__(self, key_path: Path) -> None:
        self.key_path = Path(key_path)
        self._signer: tuple[str, MLDSA65PrivateKey] | None = None
        self._lock = threading.Lock()

    @property
    def public_path(self) -> Path:
        return self.key_path.with_suffix(".pub")

    def signer(self) -> tuple[str, MLDSA65PrivateKey]:
        """(key id, private key), creating the key file with mode 0600 if there is none yet."""
        with self._lock:
            if self._signer is None:
                key = self._load() if self.key_path.exists() else self._create()
                self._write_public(key.public_key())
                self._signer = (key_id(key.public_key()), key)
            return self._signer

    def trusted(self) -> dict[str, MLDSA65PublicKey]:
        """Every ``*.pub`` ML-DSA-65 key in the key folder, by key id (empty if the folder does not exist)."""
        keys: dict[str, MLDSA65PublicKey] = {}
        folder = self.key_path.parent
        for path in sorted(folder.glob("*.pub")) if folder.is_dir() else []:
            try:
                public = serialization.load_pem_public_key(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise AuditKeyError(f"cannot read trusted audit key {path}: {exc}", path=str(path)) from exc
            if not isinstance(public, MLDSA65PublicKey):
                raise AuditKeyError(f"{path} is not an ML-DSA-65 public key", path=str(path))
            keys[key_id(public)] = public
        return keys

    def _create(self) -> MLDSA65PrivateKey:
        key = MLDSA65PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return self._load()
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return key

    def _load(self) -> MLDSA65PrivateKey:
        if os.name == "posix" and self.key_path.stat().st_mode & 0o077:
            raise AuditKeyError(f"the audit signing key {self.key_path} is readable by others; chmod 600 it",
                                path=str(self.key_path))
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise AuditKeyError(f"cannot read the audit signing key {self.key_path}: {exc}",
                                path=str(self.key_path)) from exc
        if not isinstance(key, MLDSA65PrivateKey):
            raise AuditKeyError(f"{self.key_path} is not an ML-DSA-65 private key", path=str(self.key_path))
        return key

    def _write_public(self, public: MLDSA65PublicKey) -> None:
        """Write the key's ``.pub`` if missing; refuse a ``.pub`` that belongs to another key (never overwrite trust)."""
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        if not self.public_path.exists():
            self.public_path.write_bytes(pem)
        elif self.public_path.read_bytes() != pem:
            raise AuditKeyError(
                f"{self.public_path} does not belong to the signing key {self.key_path}; to rotate keys, rename "
                "the old .pub (it stays trusted) before creating a new key", path=str(self.public_path))
