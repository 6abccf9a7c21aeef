"""Signed tokens (PyJWT): short-lived access tokens and single-use confirmations.

Outside development the signing key is an Ed25519 key (EdDSA), kept in a PEM file
encrypted with the keystore password (``zkredit users keygen``). In development
without that file, tokens are HS256 under a key derived from ``JWT_SECRET`` (HKDF),
which anyone who knows the development secret can forge, as the dev wallets are.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zkredit.errors import ConfigurationError, ZKreditError
from zkredit.users.roles import Role

ISSUER = "zkredit"
AUDIENCE = "zkredit-api"
ACCESS = "access"
CONFIRM = "confirm"
LEEWAY_S = 5
KEY_FILE = "jwt-signing.pem"


class TokenError(ZKreditError):
    """Raised when a token is missing, malformed, expired, forged or of the wrong kind."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified access token."""

    subject: str
    username: str
    roles: frozenset[Role]

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation token lets its holder do once."""

    jti: str
    subject: str
    action: str
    resource: str
    digest: str


def body_digest(value: Any) -> str:
    """SHA-256 of canonical JSON: what a confirmation of a request body binds."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class TokenKeys:
    """The key that signs tokens and the one that verifies them, with their algorithm."""

    def __init__(self, algorithm: str, signing: Any, verifying: Any, *, where: str) -> None:
        self.algorithm = algorithm
        self._signing = signing
        self._verifying = verifying
        self.where = where

    def __repr__(self) -> str:  # never the key material
        return f"TokenKeys(algorithm={self.algorithm!r}, where={self.where!r})"

    @classmethod
    def development(cls, secret: str) -> TokenKeys:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"zkredit access tokens").derive(secret.encode())
        return cls("HS256", key, key, where="JWT_SECRET (development)")

    @classmethod
    def ed25519(cls, private: Ed25519PrivateKey, where: str) -> TokenKeys:
        return cls("EdDSA", private, private.public_key(), where=where)

    @classmethod
    def from_settings(cls, settings: Any) -> TokenKeys:
        """The configured key file, else (development only) the ``JWT_SECRET`` key."""
        path = key_path(settings)
        if path.is_file():
            encrypted = b"ENCRYPTED" in path.read_bytes()
            password = _keystore_password(settings) if encrypted else None
            return cls.ed25519(load_private_key(path, password), str(path))
        if settings.is_development:
            return cls.development(settings.security.jwt_secret)
        raise ConfigurationError(
            f"no token-signing key at {path}: {settings.app.env.value} signs access tokens "
            "with an Ed25519 key",
            hint="Run `zkredit users keygen --env "
            f"{settings.app.env.value}` (it encrypts the key with the keystore password).")

    # -- access tokens ------------------------------------------------------------

    def issue_access(self, subject: str, username: str, roles: frozenset[Role], ttl_s: int,
                     *, now: float | None = None) -> str:
        t = int(now if now is not None else time.time())
        return self._encode({"sub": subject, "name": username,
                             "roles": sorted(r.value for r in roles), "typ": ACCESS,
                             "iat": t, "exp": t + ttl_s})

    def verify_access(self, token: str, *, now: float | None = None) -> Principal:
        claims = self._decode(token, ACCESS, now)
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError:
            raise TokenError("the access token names an unknown role") from None
        return Principal(str(claims["sub"]), str(claims.get("name", "")), roles)

    # -- confirmations ------------------------------------------------------------

    def issue_confirmation(self, subject: str, action: str, resource: str, digest: str,
                           ttl_s: int, *, now: float | None = None) -> str:
        t = int(now if now is not None else time.time())
        return self._encode({"sub": subject, "typ": CONFIRM, "act": action, "res": resource,
                             "dig": digest, "iat": t, "exp": t + ttl_s})

    def verify_confirmation(self, token: str, *, now: float | None = None) -> Confirmation:
        claims = self._decode(token, CONFIRM, now)
        return Confirmation(str(claims["jti"]), str(claims["sub"]), str(claims["act"]),
                            str(claims["res"]), str(claims["dig"]))

    # -- both ---------------------------------------------------------------------

    def _encode(self, claims: dict[str, Any]) -> str:
        full = {"iss": ISSUER, "aud": AUDIENCE, "jti": uuid.uuid4().hex, **claims}
        return jwt.encode(full, self._signing, algorithm=self.algorithm)

    def _decode(self, token: str, kind: str, now: float | None) -> dict[str, Any]:
        # Expiry is checked here against ``now`` (tests move the clock); PyJWT checks the
        # signature, algorithm, audience, issuer and the required claims.
        options: Any = {"require": ["exp", "iat", "sub", "jti", "typ"],
                        "verify_exp": False, "verify_iat": False}
        try:
            claims = jwt.decode(token, self._verifying, algorithms=[self.algorithm],
                                audience=AUDIENCE, issuer=ISSUER, options=options)
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"the token is not valid: {type(exc).__name__}") from None
        current = now if now is not None else time.time()
        if int(claims["exp"]) + LEEWAY_S < current:
            raise TokenError("the token has expired")
        if claims.get("typ") != kind:
            raise TokenError(f"this is not an {kind} token")
        return dict(claims)


def key_path(settings: Any) -> Path:
    configured = settings.security.jwt_key_file
    return Path(configured) if configured else Path(settings.app.keystore_dir) / KEY_FILE


def _keystore_password(settings: Any) -> str | None:
    return settings.app.read_keystore_password() or os.environ.get("ZKREDIT_KEYSTORE_PASSWORD")


def load_private_key(path: Path, password: str | None) -> Ed25519PrivateKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(
            data, password.encode() if password and b"ENCRYPTED" in data else None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot open the token-signing key {path}: {exc}",
            hint="Check ZKREDIT_KEYSTORE_PASSWORD(_FILE): the key is encrypted with it.",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"the token-signing key {path} is not an Ed25519 key")
    return key


def write_private_key(path: Path, password: str | None, *, overwrite: bool = False) -> str:
    """Make a fresh Ed25519 key at ``path`` (0600, encrypted when ``password``); its public PEM."""
    if path.exists() and not overwrite:
        raise ConfigurationError(f"{path} exists", hint="Pass --force to replace it; every "
                                 "token it signed stops working.")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)
    public: Ed25519PublicKey = key.public_key()
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
