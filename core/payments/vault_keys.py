"""The card vault's keys: versioned AES-256 keys, kept outside the database.

Where they come from, in order:

1. ``QENEX_VAULT_KEY``: one base64 key (version 1), or ``"2:KEY2,1:KEY1"`` for several versions.
   Rotating then means adding a version to the variable and running ``qenex vault rotate``.
2. The OS keyring (the ``keyring`` package, if installed and a backend answers): one JSON entry per
   data folder, service ``qenex-console``.
3. Otherwise a key file beside the audit signing key (``<data folder>/audit/card-vault.keys``, mode
   0600, created on first use). The console says so (``KeySource.description``), since a file on disk
   is weaker than a keyring.

The highest version encrypts; every version decrypts, so rows encrypted before a rotation stay
readable until ``Vault.rotate`` re-encrypts them. The fingerprint key (a keyed HMAC that finds a card
already in the vault) is derived from the oldest version and so never changes with rotation.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.payments.errors import VaultKeyError

ENV_VAR = "QENEX_VAULT_KEY"
FILE_NAME = "card-vault.keys"
KEYRING_SERVICE = "qenex-console"
KEY_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (ValueError, TypeError):
        raise VaultKeyError(f"{where}: a vault key must be base64 of 32 random bytes") from None
    if len(raw) != KEY_BYTES:
        raise VaultKeyError(f"{where}: a vault key must be 32 bytes (AES-256), got {len(raw)}")
    return raw


def new_key_text() -> str:
    """A fresh key as ``QENEX_VAULT_KEY`` takes it (base64 of 32 random bytes)."""
    return _b64(secrets.token_bytes(KEY_BYTES))


class VaultKeys:
    """Versioned keys from one source. ``source`` is "environment", "keyring" or "file"."""

    def __init__(self, data_dir: Path, environ: Mapping[str, str] = os.environ, *, use_keyring: bool = True,
                 key_file: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.environ = environ
        self.use_keyring = use_keyring
        self.key_file = key_file or self.data_dir / "audit" / FILE_NAME
        self.source = ""
        self._keys: dict[int, bytes] | None = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        """Where the keys live, in words for the status bar and README."""
        self.keys()
        return {"environment": f"key from {ENV_VAR}", "keyring": "key in the OS keyring",
                "file": f"key file {self.key_file} (mode 0600; no OS keyring available)"}[self.source]

    def keys(self) -> dict[int, bytes]:
        """Every key version (loaded once; created on first use for keyring and file)."""
        with self._lock:
            if self._keys is None:
                self._keys = self._load()
            return self._keys

    @property
    def current(self) -> tuple[int, bytes]:
        keys = self.keys()
        version = max(keys)
        return version, keys[version]

    def key(self, version: int) -> bytes:
        try:
            return self.keys()[version]
        except KeyError:
            raise VaultKeyError(f"vault key version {version} is missing from the {self.source} key source; "
                                "restore it before this card can be read") from None

    def fingerprint_key(self) -> bytes:
        oldest = self.keys()[min(self.keys())]
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"qenex card fingerprint").derive(oldest)

    def add_version(self) -> int:
        """Create a new highest version (keyring or file); the environment is changed by the operator."""
        if self.keys() and self.source == "environment":
            raise VaultKeyError(f"the vault keys come from {ENV_VAR}: add a new version there, e.g. "
                                f"'{max(self.keys()) + 1}:{new_key_text()},...' keeping the old ones, then rotate")
        with self._lock:
            keys = dict(self._keys or {})
            version = max(keys, default=0) + 1
            keys[version] = secrets.token_bytes(KEY_BYTES)
            self._save(keys)
            self._keys = keys
            return version

    # -- sources ------------------------------------------------------------------------------
    def _load(self) -> dict[int, bytes]:
        raw = (self.environ.get(ENV_VAR) or "").strip()
        if raw:
            self.source = "environment"
            return _parse_env(raw)
        ring = _keyring() if self.use_keyring else None
        if ring is not None:
            try:
                stored = ring.get_password(KEYRING_SERVICE, self._keyring_user())
                self.source = "keyring"
                if stored:
                    return _parse_json(stored, "the OS keyring entry")
                keys = {1: secrets.token_bytes(KEY_BYTES)}
                ring.set_password(KEYRING_SERVICE, self._keyring_user(), _dump_json(keys))
                return keys
            except Exception:  # noqa: BLE001 - no usable keyring backend: fall back to the key file
                self.source = ""
        self.source = "file"
        if self.key_file.exists():
            return self._read_file()
        keys = {1: secrets.token_bytes(KEY_BYTES)}
        self._write_file(keys, create=True)
        return keys

    def _save(self, keys: dict[int, bytes]) -> None:
        if self.source == "keyring":
            ring = _keyring()
            assert ring is not None
            ring.set_password(KEYRING_SERVICE, self._keyring_user(), _dump_json(keys))
        else:
            self._write_file(keys, create=False)

    def _keyring_user(self) -> str:
        return "card-vault:" + hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:16]

    def _read_file(self) -> dict[int, bytes]:
        if os.name == "posix" and self.key_file.stat().st_mode & 0o077:
            raise VaultKeyError(f"the card vault key file {self.key_file} is readable by others; chmod 600 it")
        return _parse_json(self.key_file.read_text(), str(self.key_file))

    def _write_file(self, keys: dict[int, bytes], *, create: bool) -> None:
        self.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.key_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_dump_json(keys))
        if create and self.key_file.exists():  # another process created it first: use theirs
            tmp.unlink()
            return
        os.replace(tmp, self.key_file)


def _keyring():  # noqa: ANN202 - the keyring module, or None when it is not installed
    try:
        import keyring  # optional: not a dependency of QENEX Console
    except ImportError:
        return None
    return keyring


def _parse_env(raw: str) -> dict[int, bytes]:
    if ":" not in raw:
        return {1: _unb64(raw, ENV_VAR)}
    keys: dict[int, bytes] = {}
    for part in raw.split(","):
        version, _, text = part.strip().partition(":")
        if not version.isdigit() or int(version) < 1:
            raise VaultKeyError(f"{ENV_VAR}: each part must be VERSION:BASE64KEY, got {part.strip()[:8]!r}…")
        keys[int(version)] = _unb64(text, f"{ENV_VAR} version {version}")
    return keys


def _parse_json(text: str, where: str) -> dict[int, bytes]:
    try:
        data = json.loads(text)
        keys = {int(v): _unb64(k, f"{where} version {v}") for v, k in data["keys"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise VaultKeyError(f"{where} is not a QENEX card vault key set") from None
    if not keys:
        raise VaultKeyError(f"{where} holds no key")
    return keys


def _dump_json(keys: dict[int, bytes]) -> str:
    return json.dumps({"format": "qenex-card-vault-keys/1", "keys": {str(v): _b64(k) for v, k in sorted(keys.items())}})
