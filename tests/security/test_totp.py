from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from core.security import recovery, totp
from core.security.errors import CodeReused, InvalidCode

SECRET = pyotp.random_base32(32)
T0 = datetime(2025, 3, 3, 9, 0, 0, tzinfo=timezone.utc)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_accepts_the_current_and_adjacent_steps_only():
    now = at(0)
    assert totp.accept(SECRET, pyotp.TOTP(SECRET).at(now), now, None) == totp.time_step(now)
    assert totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(-30)), now, None) == totp.time_step(now) - 1
    assert totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(30)), now, None) == totp.time_step(now) + 1
    with pytest.raises(InvalidCode):
        totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(-60)), now, None)
    with pytest.raises(InvalidCode):
        totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(60)), now, None)


def test_used_or_older_step_is_refused_as_reuse():
    now = at(0)
    step = totp.accept(SECRET, pyotp.TOTP(SECRET).at(now), now, None)
    with pytest.raises(CodeReused):
        totp.accept(SECRET, pyotp.TOTP(SECRET).at(now), at(10), step)
    with pytest.raises(CodeReused):
        totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(-30)), now, step)
    assert totp.accept(SECRET, pyotp.TOTP(SECRET).at(at(30)), at(30), step) == step + 1


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef"])
def test_malformed_codes_are_invalid(bad):
    with pytest.raises(InvalidCode):
        totp.accept(SECRET, bad, T0, None)


def test_enrollment_uri_names_issuer_and_user_and_renders_as_png():
    enrollment = totp.enrollment("alice", SECRET)
    parsed = pyotp.parse_uri(enrollment.otpauth_uri)
    assert parsed.issuer == "QENEX Console" and parsed.name == "alice" and parsed.secret == SECRET
    assert enrollment.qr_png().startswith(b"\x89PNG\r\n\x1a\n")


def test_recovery_codes_are_distinct_and_hashed_per_user():
    codes = recovery.new_codes()
    assert len(set(codes)) == 10
    assert all(recovery.looks_like_recovery_code(c) for c in codes)
    assert recovery.digest(1, codes[0]) == recovery.digest(1, codes[0].upper().replace("-", " "))
    assert recovery.digest(1, codes[0]) != recovery.digest(2, codes[0])
