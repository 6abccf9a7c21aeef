"""Errors raised by the storage layer.

Every class derives from :class:`StoreError` (itself a :class:`~zkredit.errors.ZKreditError`)
and mixes in the builtin kind it refines, so callers may catch either family.
"""

from __future__ import annotations

from zkredit.errors import ConfigurationError, InputError, IntegrityError, ZKreditError


class StoreError(ZKreditError):
    """Root of the errors raised by ``zkredit.store``."""


class UnsupportedDatabaseURL(ConfigurationError):
    """Raised when ``DATABASE_URL`` names a database or driver ZKredit does not support."""


class InvalidPartyName(InputError):
    """Raised when a party name cannot be used as a directory, file and schema name."""


class DatabaseUnavailable(StoreError, ConnectionError):
    """Raised when the party's database cannot be reached (server down, bad credentials)."""


class DatabaseNotFound(StoreError, FileNotFoundError):
    """Raised when a command that only reads finds no database for the party."""


class NotMigrated(StoreError, LookupError):
    """Raised when the party's database exists but has no ZKredit tables yet."""


class MigrationError(StoreError):
    """Raised when Alembic cannot bring the party's database to the head revision."""


class AuditChainBroken(StoreError, IntegrityError):
    """Raised (by the CLI) when an audit log fails verification; names the first broken seq."""


class AuditSignerMissing(ConfigurationError):
    """Raised when an entry is appended to an audit log opened without a signing key."""


class AnchorMismatch(StoreError, ValueError):
    """Raised when an anchor is recorded for a head hash the log does not hold at that count."""


class LedgerConflict(StoreError, ValueError):
    """Raised when a journal entry id is posted again with different postings."""


class IdempotencyError(StoreError, LookupError):
    """Raised when an idempotency key is completed that was never begun or is already done."""
