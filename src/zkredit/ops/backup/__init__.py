"""Encrypted, verified backups and their restore: ``zkredit backup``.

:mod:`.service` orchestrates; :mod:`.sources` says what each type holds; :mod:`.crypto`
seals (gzip, AES-256-GCM, HKDF); :mod:`.stores` keeps the bytes (a directory or S3);
:mod:`.schedule` holds the seed's schedule and retention; :mod:`.metrics` publishes the
age of the last verified backup.
"""
