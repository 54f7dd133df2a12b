"""argon2id password hashing through passlib."""

from passlib.context import CryptContext

from marketplace_app.services import passwords

CURRENT_PREFIX = (
    f"$argon2id$v=19$m={passwords.ARGON2_MEMORY_KIB},t={passwords.ARGON2_ROUNDS},"
    f"p={passwords.ARGON2_LANES}$"
)


def test_hash_and_verify():
    hashed = passwords.hash_password("correct horse 马")
    assert hashed.startswith(CURRENT_PREFIX)
    assert passwords.verify_password("correct horse 马", hashed)
    assert not passwords.verify_password("correct horse", hashed)
    assert not passwords.needs_rehash(hashed)
    assert passwords.hash_password("correct horse 马") != hashed  # salted


def test_unreadable_hashes_never_verify():
    assert not passwords.verify_password("x", "")
    assert not passwords.verify_password("x", "not a hash")
    assert passwords.needs_rehash("not a hash")


def test_weaker_parameters_need_a_rehash():
    weak = CryptContext(schemes=["argon2"], argon2__memory_cost=8192, argon2__rounds=1)
    hashed = weak.hash("password1")
    assert passwords.verify_password("password1", hashed)
    assert passwords.needs_rehash(hashed)


def test_burn_verify_returns_nothing():
    assert passwords.burn_verify("whatever") is None
    assert passwords.burn_verify("") is None
