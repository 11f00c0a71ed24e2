"""Password hashing with Argon2id (PHC string: parameters + salt + hash) and the password policy."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from core.security.errors import PasswordTooLong, PasswordTooShort, PasswordTooWeak

MIN_LENGTH = 12
MAX_LENGTH = 256  # bounds the work an attacker can make Argon2 do per attempt
MIN_DISTINCT = 5


@dataclass(frozen=True)
class PasswordHasher:
    """Argon2id with RFC 9106's second recommended setting by default (64 MiB, t=3, p=4).

    Tests pass cheap parameters explicitly (e.g. ``PasswordHasher(memory_kib=8, iterations=1, lanes=1)``);
    verification always uses the parameters stored in the encoded string.
    """

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4
    length: int = 32
    salt_bytes: int = 16

    def hash(self, password: str) -> str:
        """The PHC-encoded Argon2id hash (``$argon2id$v=19$m=..,t=..,p=..$salt$hash``) of ``password``."""
        kdf = Argon2id(salt=os.urandom(self.salt_bytes), length=self.length, iterations=self.iterations,
                       lanes=self.lanes, memory_cost=self.memory_kib)
        return kdf.derive_phc_encoded(password.encode())

    def verify(self, password: str, encoded: str) -> bool:
        """True when ``password`` matches ``encoded`` (constant-time compare); False for a wrong or malformed hash."""
        try:
            Argon2id.verify_phc_encoded(password.encode(), encoded)
        except (InvalidKey, ValueError):
            return False
        return True

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
        self.verify(password, _DUMMY.get(self) or _DUMMY.setdefault(self, self.hash("qenex-dummy-password")))


_DUMMY: dict[PasswordHasher, str] = {}


def check_policy(password: str, username: str = "") -> None:
    """Raise a PasswordPolicyError subclass unless ``password`` is acceptable for ``username``."""
    if not isinstance(password, str) or any(0xD800 <= ord(ch) <= 0xDFFF or ch in "\x00\r\n" for ch in password):
        raise PasswordTooWeak("the password contains characters that cannot be typed (line breaks, NUL or "
                              "undecodable bytes); choose another")
    if len(password) < MIN_LENGTH:
        raise PasswordTooShort(f"the password needs at least {MIN_LENGTH} characters", min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordTooLong(f"the password may have at most {MAX_LENGTH} characters", max_length=MAX_LENGTH)
    if len(set(password)) < MIN_DISTINCT:
        raise PasswordTooWeak(f"the password needs at least {MIN_DISTINCT} different characters")
    if len(username) >= 3 and username.lower() in password.lower():
        raise PasswordTooWeak("the password must not contain the username")


_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read out or copied by hand


def temporary_password(groups: int = 4) -> str:
    """A random first or reset password (e.g. ``k7rt-9wqm-p3xa-hd2n``: 80 bits), replaced at the next login."""
    while True:
        word = "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(groups))
        if len(set(word)) >= MIN_DISTINCT:
            return word
