"""The plaintext of a backup: an uncompressed tar of named members (gzip comes after)."""

from __future__ import annotations

import io
import tarfile
from pathlib import PurePosixPath

from zkredit.ops.backup.errors import BackupIntegrityError


def pack(members: dict[str, bytes]) -> bytes:
    """A deterministic tar (sorted names, fixed metadata) of ``members``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    """The members of a tar made by :func:`pack`; refuses links and paths leaving the root."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                path = PurePosixPath(info.name)
                if not info.isfile() or path.is_absolute() or ".." in path.parts:
                    raise BackupIntegrityError(f"the archive holds an unsafe member {info.name!r}")
                handle = tar.extractfile(info)
                assert handle is not None
                members[info.name] = handle.read()
    except tarfile.TarError as exc:
        raise BackupIntegrityError(f"the decrypted archive is not a tar file: {exc}") from None
    return members
