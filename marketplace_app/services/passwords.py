"""Password hashing with argon2id through the passlib API (the libpass distribution).

Parameters: 19 MiB of memory, 3 passes, 1 lane (above OWASP's 19 MiB / 2
passes baseline). A hash or a verify takes about 38 ms on the 2-core
development machine (32 MiB / 2 passes measured 65 ms there). Raising them
later is safe: :func:`needs_rehash` makes the next login re-hash.
"""

from __future__ import annotations

import functools
import secrets

from passlib.context import CryptContext

ARGON2_MEMORY_KIB = 19456
ARGON2_ROUNDS = 3
ARGON2_LANES = 1

_context = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=ARGON2_MEMORY_KIB,
    argon2__rounds=ARGON2_ROUNDS,
    argon2__parallelism=ARGON2_LANES,
)


def hash_password(password: str) -> str:
    """Hash a password for storage.

    Args:
        password: the plaintext password.

    Returns:
        A PHC string, ``$argon2id$v=19$m=...``.
    """
    return _context.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Check a password against a stored hash.

    Args:
        password: the plaintext password.
        hashed: the stored hash.

    Returns:
        True when they match; False on a mismatch or an unreadable hash.
    """
    try:
        return _context.verify(password, hashed)
    except (ValueError, TypeError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Whether a stored hash uses older parameters than the current ones.

    Args:
        hashed: the stored hash.

    Returns:
        True when the next successful login should store a fresh hash.
    """
    try:
        return _context.needs_update(hashed)
    except (ValueError, TypeError):
        return True


@functools.cache
def _dummy_hash() -> str:
    return _context.hash(secrets.token_urlsafe(16))


def burn_verify(password: str) -> None:
    """Spend the time of one verify, for logins to accounts that do not exist.

    This keeps "no such user" and "wrong password" equally slow, so timing
    does not reveal which accounts exist.

    Args:
        password: the password that was tried.
    """
    verify_password(password, _dummy_hash())
