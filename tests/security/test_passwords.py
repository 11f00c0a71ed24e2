import pytest

from core.security.errors import PasswordTooLong, PasswordTooShort, PasswordTooWeak
from core.security.passwords import PasswordHasher, check_policy

CHEAP = PasswordHasher(memory_kib=8, iterations=1, lanes=1)


def test_argon2id_round_trip_encodes_parameters_and_salt():
    encoded = CHEAP.hash("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert CHEAP.verify("correct horse battery", encoded)
    assert not CHEAP.verify("correct horse batterY", encoded)
    assert CHEAP.hash("correct horse battery") != encoded  # fresh salt every time


def test_verify_uses_the_parameters_stored_in_the_hash():
    stored = PasswordHasher(memory_kib=16, iterations=2, lanes=2).hash("correct horse battery")
    assert CHEAP.verify("correct horse battery", stored)


def test_default_parameters_are_strong():
    hasher = PasswordHasher()
    assert (hasher.memory_kib, hasher.iterations, hasher.lanes) == (65536, 3, 4)


def test_malformed_hash_never_verifies():
    assert not CHEAP.verify("x", "not a hash")


@pytest.mark.parametrize("password, error", [
    ("short", PasswordTooShort),
    ("x" * 257, PasswordTooLong),
    ("aaaaaaaaaaaabbbb", PasswordTooWeak),
    ("my-name-is-alice!", PasswordTooWeak),
])
def test_policy_refuses(password, error):
    with pytest.raises(error):
        check_policy(password, "alice")


def test_policy_accepts_a_passphrase():
    check_policy("correct horse battery", "alice")
