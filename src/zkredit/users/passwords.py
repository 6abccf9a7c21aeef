"""Password hashing with argon2id (argon2-cffi); no password is stored or logged."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zkredit.errors import InputError

MIN_LENGTH = 12

_HASHER = PasswordHasher()
"""argon2-cffi's RFC 9106 low-memory profile (argon2id, t=3, m=64 MiB, p=4)."""


class WeakPassword(InputError):
    """Raised when a new password is too short to protect an account."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters",
                           hint="Use a passphrase of several words.")
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time inside argon2)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so a miss costs what a hit costs."""
    return _HASHER.hash("not-a-real-password-for-timing")
