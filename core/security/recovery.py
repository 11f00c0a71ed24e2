"""One-time recovery codes: ten per enrollment, shown once, stored only as hashes."""
from __future__ import annotations

import hashlib
import secrets

from core.text import InvalidText, compact

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read off paper
GROUPS, GROUP_LEN = 4, 4  # 16 symbols of ~4.95 bits: ~79 bits, beyond brute force even with a fast hash
COUNT = 10


def new_codes(count: int = COUNT) -> list[str]:
    """``count`` fresh codes like ``k7pq-m2xd-9fhr-tw3a``."""
    return ["-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))
            for _ in range(count)]


def normalize(code: str) -> str:
    """The code's symbols, however typed or pasted: ``K7PQ-M2XD 9fhr–tw3a`` and its full-width form alike
    (``core.text.compact``, lower case; separators dropped)."""
    try:
        text = compact(code, "the recovery code").lower()
    except InvalidText:
        return ""
    return "".join(ch for ch in text if ch in ALPHABET)


def looks_like_recovery_code(code: str) -> bool:
    return len(normalize(code)) == GROUPS * GROUP_LEN


def digest(user_id: int, code: str) -> str:
    """The stored form of a recovery code: SHA-256 bound to the user (codes carry ~79 bits of entropy)."""
    return hashlib.sha256(f"qenex-recovery:{user_id}:{normalize(code)}".encode()).hexdigest()
