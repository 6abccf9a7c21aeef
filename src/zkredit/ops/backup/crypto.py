"""How a backup is sealed: gzip, then AES-256-GCM, under keys derived with HKDF-SHA256.

From one secret (``BACKUP_KEY``, else ``ENCRYPTION_KEY``) HKDF derives three values, each
with its own ``info`` label, so none can stand in for another:

- the data key (AES-256-GCM) that encrypts the compressed archive;
- the manifest key (HMAC-SHA256) that authenticates the manifest, so an edited manifest
  is refused before anything is decrypted;
- a key id, printed in the manifest, so that a backup made under another key is refused
  as such ("wrong key") rather than as corruption.

The manifest's fixed fields are also the cipher's associated data: a ciphertext moved
under another manifest fails its tag. Only the ``cryptography`` package does
cryptography here.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zkredit.ops.backup.errors import BackupIntegrityError

NONCE_BYTES = 12
_SALT = b"zkredit-backup"
_INFO_DATA = b"zkredit backup v1: data key (AES-256-GCM)"
_INFO_MANIFEST = b"zkredit backup v1: manifest key (HMAC-SHA256)"
_INFO_ID = b"zkredit backup v1: key id"


def _derive(secret: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info).derive(secret)


@dataclass(frozen=True)
class BackupKey:
    """The keys derived from one secret; ``source`` says which setting it came from."""

    data_key: bytes
    manifest_key: bytes
    key_id: str
    source: str

    @classmethod
    def from_secret(cls, secret: str, source: str) -> BackupKey:
        raw = secret.encode("utf-8")
        return cls(_derive(raw, _INFO_DATA), _derive(raw, _INFO_MANIFEST),
                   _derive(raw, _INFO_ID, 8).hex(), source)

    def __repr__(self) -> str:  # never print key material
        return f"BackupKey(key_id={self.key_id!r}, source={self.source!r})"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    nonce: bytes
    compressed_size: int


def seal(key: BackupKey, plaintext: bytes, associated: bytes) -> Sealed:
    """gzip ``plaintext`` then encrypt it; ``associated`` is authenticated, not encrypted."""
    compressed = gzip.compress(plaintext, compresslevel=6, mtime=0)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key.data_key).encrypt(nonce, compressed, associated)
    return Sealed(ciphertext, nonce, len(compressed))


def unseal(key: BackupKey, ciphertext: bytes, nonce: bytes, associated: bytes) -> bytes:
    """Decrypt and decompress; a failed tag raises :class:`BackupIntegrityError`."""
    try:
        compressed = AESGCM(key.data_key).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise BackupIntegrityError(
            "the AES-GCM authentication tag does not verify: the ciphertext or the "
            "manifest's bound fields were altered",
            hint="Do not restore this backup; use an older one (`zkredit backup list`).",
        ) from None
    return gzip.decompress(compressed)


def manifest_mac(key: BackupKey, canonical: bytes) -> str:
    return hmac.new(key.manifest_key, canonical, hashlib.sha256).hexdigest()


def mac_matches(key: BackupKey, canonical: bytes, mac: str) -> bool:
    return hmac.compare_digest(manifest_mac(key, canonical), mac)
