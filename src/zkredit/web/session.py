"""Web sessions: the login seam, the session cookie and CSRF tokens.

A person logs in with their password; :class:`AgentLogin` exchanges it at an agent's
``/auth/token`` (the access-control mechanism every agent serves) for an access token and
a refresh token. Both live in one cookie, ``HttpOnly`` and ``SameSite=Strict`` (``Secure``
behind TLS), signed by the gateway so it cannot be forged or altered, and never readable
by page scripts. Every form carries the session's CSRF token, checked on every POST.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zkredit.errors import ZKreditError
from zkredit.users.roles import Role

SESSION_COOKIE = "zk_session"
LOGIN_COOKIE = "zk_login"
"""Before a session exists, the login form's CSRF token lives here."""


class LoginRefused(ZKreditError):
    """Raised when the username or password is wrong, or no agent can check them."""


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str


@dataclass(frozen=True)
class User:
    """The person behind a session, from their verified access token."""

    subject: str
    username: str
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def home(self) -> str:
        for role, path in ((Role.OPERATOR, "/operator"), (Role.LENDER, "/lender"),
                           (Role.COMPLIANCE, "/compliance"),
                           (Role.RECEIVER_OPERATOR, "/receiver"), (Role.WORKER, "/worker")):
            if role in self.roles:
                return path
        return "/"


class Authenticator(Protocol):
    """The one seam between the dashboard and the access-control mechanism."""

    async def login(self, username: str, password: str) -> Tokens: ...

    async def refresh(self, refresh: str) -> Tokens: ...

    async def logout(self, refresh: str) -> None: ...

    def verify(self, access: str) -> User: ...


@dataclass
class Session:
    tokens: Tokens
    csrf: str
    user: User
    refreshed: bool = False
    """The access token was refreshed during this request: the cookie is rewritten."""


class CookieSigner:
    """Signs and checks the session cookie (HMAC-SHA256 under a key derived from the
    deployment's JWT secret, so every gateway replica accepts every other's cookies)."""

    def __init__(self, secret: str) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=b"zkredit web session cookie").derive(secret.encode())

    def dump(self, value: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body, hashlib.sha256).hexdigest()
        return f"{body.decode()}.{mac}"

    def load(self, cookie: str | None) -> dict[str, Any] | None:
        if not cookie or "." not in cookie:
            return None
        body, _, mac = cookie.rpartition(".")
        good = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, mac):
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
