"""Password hashing with argon2id at OWASP's recommended parameters.

OWASP's Password Storage Cheat Sheet recommends argon2id with at least 19 MiB of memory, an
iteration count of 2 and one degree of parallelism. argon2-cffi's default (RFC 9106's low-memory
profile, 64 MiB) costs every worker 64 MiB of resident memory for each login it verifies, which
pushed a gunicorn worker past 150 MB (bench/results.md); 19 MiB keeps the worker small and still
meets the recommendation. Hashes made with other parameters (the earlier default) verify as
before and are rehashed at the owner's next login (``accounts.authenticate``).
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MEMORY_KIB = 19 * 1024  # OWASP: m = 19 MiB
ITERATIONS = 2  # OWASP: t = 2
PARALLELISM = 1  # OWASP: p = 1

_hasher = PasswordHasher(memory_cost=MEMORY_KIB, time_cost=ITERATIONS, parallelism=PARALLELISM)
MIN_LENGTH = 10

# Verified against when the account does not exist, so that an unknown e-mail costs the same
# time as a wrong password and response timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
