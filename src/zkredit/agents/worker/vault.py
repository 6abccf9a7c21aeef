"""The worker's encrypted vault: AES-256-GCM under ENCRYPTION_KEY, with key rotation.

Each sealed item is ``b"zkv1" | key id (8 bytes) | nonce (12) | ciphertext+tag``.
The key id is the first 8 bytes of sha256(key), so a blob names the key that
sealed it without revealing it. The associated data binds a blob to its owner
and purpose: a ciphertext copied to another row fails to open.

Rotation: set the new key as ENCRYPTION_KEY and list old ones in
ENCRYPTION_KEY_PREVIOUS; blobs under old keys still open, and
:meth:`Keyring.reseal` re-encrypts them under the current key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zkredit.errors import ConfigurationError, CryptoError

MAGIC = b"zkv1"
KEY_ID_LEN = 8
NONCE_LEN = 12


class VaultError(CryptoError):
    """Raised when a vault blob cannot be opened (wrong key, tampering, wrong owner)."""


def parse_key(text: str, *, allow_passphrase: bool) -> bytes:
    """A 32-byte key from 64 hex chars; a passphrase only where explicitly allowed (dev)."""
    raw = text.strip().removeprefix("0x")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) == 32:
        return key
    if allow_passphrase:
        return hashlib.scrypt(text.encode(), salt=b"zkredit-vault", n=2**14, r=8, p=1, dklen=32)
    raise ConfigurationError(
        "ENCRYPTION_KEY must be 32 random bytes written as 64 hex characters",
        hint="Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'",
    )


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:KEY_ID_LEN]


@dataclass(frozen=True)
class Keyring:
    """The current vault key and the previous ones that may still open old blobs."""

    current: bytes = field(repr=False)
    previous: tuple[bytes, ...] = field(default=(), repr=False)

    @classmethod
    def from_settings(cls, current: str, previous: str = "", *, development: bool) -> Keyring:
        olds = tuple(
            parse_key(p, allow_passphrase=development) for p in previous.split(",") if p.strip()
        )
        return cls(parse_key(current, allow_passphrase=development), olds)

    def _key_for(self, kid: bytes) -> bytes:
        for key in (self.current, *self.previous):
            if key_id(key) == kid:
                return key
        raise VaultError(
            "vault item was sealed with a key that is not configured",
            hint="Add the old key to ENCRYPTION_KEY_PREVIOUS.",
        )

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(NONCE_LEN)
        body = AESGCM(self.current).encrypt(nonce, plaintext, context.encode())
        return MAGIC + key_id(self.current) + nonce + body

    def open(self, blob: bytes, context: str) -> bytes:
        if len(blob) < len(MAGIC) + KEY_ID_LEN + NONCE_LEN + 16 or not blob.startswith(MAGIC):
            raise VaultError("not a vault blob")
        kid = blob[4 : 4 + KEY_ID_LEN]
        nonce = blob[4 + KEY_ID_LEN : 4 + KEY_ID_LEN + NONCE_LEN]
        try:
            return AESGCM(self._key_for(kid)).decrypt(
                nonce, blob[4 + KEY_ID_LEN + NONCE_LEN :], context.encode()
            )
        except InvalidTag:
            raise VaultError("vault item failed authentication: tampered or wrong owner") from None

    def needs_reseal(self, blob: bytes) -> bool:
        return blob[4 : 4 + KEY_ID_LEN] != key_id(self.current)

    def reseal(self, blob: bytes, context: str) -> bytes:
        """Re-encrypt ``blob`` under the current key (no-op content-wise)."""
        return self.seal(self.open(blob, context), context)
