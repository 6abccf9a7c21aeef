"""The manifest stored beside each backup: what it is, how big, and its checksums.

``<id>.manifest.json`` is plain JSON an operator can read without the key. Its ``mac``
(HMAC-SHA256 under a key derived from the backup secret) covers every other field, so an
edited manifest is refused; its bound fields are also the associated data of the
ciphertext's AES-GCM tag.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from zkredit.ops.backup.errors import BackupIntegrityError

FORMAT = "zkredit-backup/1"
TYPES = ("database", "circuits", "contracts", "logs", "metrics")


@dataclass
class Manifest:
    id: str
    type: str
    created_at: str
    """ISO 8601, UTC."""
    environment: str
    schema_version: dict[str, Any]
    """database: each party's Alembic heads; files: what the files belong to."""
    zkredit_version: str
    kind: str = "manual"
    """manual | scheduled | safety (taken by a forced restore before it overwrites)."""
    sizes: dict[str, int] = field(default_factory=dict)
    """plaintext, compressed and ciphertext bytes."""
    sha256: dict[str, str] = field(default_factory=dict)
    """of the plaintext (the archive) and of the ciphertext (the stored object)."""
    encryption: dict[str, str] = field(default_factory=dict)
    compression: str = "gzip"
    contents: list[dict[str, Any]] = field(default_factory=list)
    """Each archive member: name, size, sha256."""
    source: dict[str, Any] = field(default_factory=dict)
    """Where the data came from (no passwords): dialect, schemas, directories."""
    format: str = FORMAT
    mac: str = ""

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    @property
    def key_id(self) -> str:
        return self.encryption.get("key_id", "")

    def associated_data(self) -> bytes:
        """The fields the ciphertext is bound to (AES-GCM associated data)."""
        bound = {"format": self.format, "id": self.id, "type": self.type,
                 "created_at": self.created_at, "environment": self.environment,
                 "schema_version": self.schema_version}
        return _canonical(bound)

    def canonical(self) -> bytes:
        """Every field but the MAC, canonically encoded: what the MAC covers."""
        data = asdict(self)
        data.pop("mac")
        return _canonical(data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> bytes:
        return json.dumps(self.to_json(), indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def loads(cls, raw: bytes, name: str) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupIntegrityError(
                    f"{name}: unknown backup format {data.get('format')!r} (expected {FORMAT})")
            return cls(**data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise BackupIntegrityError(
                f"the manifest {name} is not a ZKredit backup manifest: {exc}",
                hint="The manifest was altered or truncated; use another backup.",
            ) from None


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
