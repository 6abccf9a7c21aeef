"""Travel-rule data sealed to the receiver: X25519 + HKDF-SHA256 + AES-256-GCM.

The sender (the worker agent) seals originator and beneficiary data to the
receiver's published X25519 key with :func:`seal`; the remittance agent carries
the ciphertext without being able to read it; only the receiver opens it.

Wire format (hex): ``ephemeral public key (32) ‖ nonce (12) ‖ AES-GCM ciphertext``.
The AES key is ``HKDF-SHA256(X25519(ephemeral, receiver), info = INFO ‖ ephemeral
‖ receiver)``, and :data:`INFO` is also the associated data, so a ciphertext
cannot be moved to another key or protocol.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from zkredit.errors import CryptoError

ALGORITHM = "X25519-HKDF-SHA256-AES-256-GCM"
INFO = b"zkredit travel rule v1"
_KEY, _NONCE = 32, 12
SEALED = "zkv1:"
_CONTEXT = "travel-rule:x25519"


class TravelRuleError(CryptoError):
    """Raised when travel-rule data cannot be opened (wrong key, tampered, malformed)."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _aes_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO + ephemeral + recipient)
    return hkdf.derive(shared)


def seal(data: Mapping[str, Any], recipient_public_hex: str) -> str:
    """Encrypt ``data`` (JSON) to the receiver's public key; returns hex."""
    try:
        recipient = X25519PublicKey.from_public_bytes(bytes.fromhex(recipient_public_hex))
    except ValueError as exc:
        raise TravelRuleError(f"not an X25519 public key (64 hex digits): {exc}") from None
    ephemeral = X25519PrivateKey.generate()
    eph_raw = _raw(ephemeral.public_key())
    key = _aes_key(ephemeral.exchange(recipient), eph_raw, _raw(recipient))
    nonce = os.urandom(_NONCE)
    body = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode()
    return (eph_raw + nonce + AESGCM(key).encrypt(nonce, body, INFO)).hex()


class TravelRuleKey:
    """The receiver's X25519 key pair for travel-rule data."""

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls) -> TravelRuleKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path, keyring: Any = None) -> TravelRuleKey:
        """The key stored at ``path``, created 0600 if missing.

        With ``keyring`` (the vault's, under ``ENCRYPTION_KEY``) the file holds the key
        sealed (``zkv1:<base64>``); a plaintext key left by an older version is sealed
        in place on first load. Without it, the file holds the raw key in hex.
        """
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            try:
                if text.startswith(SEALED):
                    if keyring is None:
                        raise TravelRuleError(f"{path} is sealed: ENCRYPTION_KEY is needed")
                    raw = keyring.open(base64.b64decode(text.removeprefix(SEALED)), _CONTEXT)
                else:
                    raw = bytes.fromhex(text)
                key = cls(X25519PrivateKey.from_private_bytes(raw))
            except ValueError as exc:
                raise TravelRuleError(f"{path} is not an X25519 private key: {exc}") from None
            if keyring is not None and not text.startswith(SEALED):
                key._write(path, keyring, replace=True)
            return key
        key = cls.generate()
        key._write(path, keyring, replace=False)
        return key

    def _write(self, path: Path, keyring: Any, *, replace: bool) -> None:
        raw = self._private.private_bytes_raw()
        text = (SEALED + base64.b64encode(keyring.seal(raw, _CONTEXT)).decode()
                if keyring is not None else raw.hex())
        path.parent.mkdir(parents=True, exist_ok=True)
        target = path.with_suffix(".tmp") if replace else path
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL),
                     0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if replace:
            os.replace(target, path)

    def __repr__(self) -> str:
        return f"TravelRuleKey(public={self.public_hex})"

    @property
    def public_hex(self) -> str:
        return _raw(self._private.public_key()).hex()

    def open(self, ciphertext_hex: str) -> dict[str, Any]:
        """Decrypt travel-rule data sealed to this key."""
        try:
            blob = bytes.fromhex(ciphertext_hex.removeprefix("0x"))
        except ValueError:
            raise TravelRuleError("travel-rule ciphertext is not hex") from None
        if len(blob) < _KEY + _NONCE + 16:
            raise TravelRuleError("travel-rule ciphertext is too short")
        eph_raw, nonce, body = blob[:_KEY], blob[_KEY : _KEY + _NONCE], blob[_KEY + _NONCE :]
        try:
            ephemeral = X25519PublicKey.from_public_bytes(eph_raw)
            key = _aes_key(
                self._private.exchange(ephemeral), eph_raw, bytes.fromhex(self.public_hex)
            )
            plain = AESGCM(key).decrypt(nonce, body, INFO)
        except (InvalidTag, ValueError):
            raise TravelRuleError(
                "travel-rule data does not decrypt with the receiver's key (wrong key or tampered)"
            ) from None
        try:
            data = json.loads(plain)
        except json.JSONDecodeError:
            raise TravelRuleError("travel-rule data is not JSON") from None
        if not isinstance(data, dict):
            raise TravelRuleError("travel-rule data must be a JSON object")
        return data
