"""Errors of ``zkredit backup``."""

from __future__ import annotations

from zkredit.errors import ConfigurationError, InputError, IntegrityError, ZKreditError


class BackupError(ZKreditError):
    """Raised when a backup cannot be made, stored, read or restored."""


class BackupIntegrityError(BackupError, IntegrityError):
    """Raised when a backup fails a check: checksum, authentication tag, manifest, key."""


class BackupNotFound(BackupError, InputError):
    """Raised when no backup has the given id in the store."""


class RestoreRefused(BackupError, InputError):
    """Raised when a restore would overwrite live data without ``--force``."""


class BackupKeyMissing(ConfigurationError):
    """Raised when neither BACKUP_KEY nor a usable ENCRYPTION_KEY is set."""
