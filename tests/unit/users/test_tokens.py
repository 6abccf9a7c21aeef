"""Access tokens: one valid baseline, then each single corruption and the error it gets."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zkredit.users.roles import Role
from zkredit.users.tokens import TokenError, TokenKeys

KEYS = TokenKeys.ed25519(Ed25519PrivateKey.generate(), "test")
ROLES = frozenset({Role.WORKER})


def baseline() -> str:
    return KEYS.issue_access("u1", "maria", ROLES, 600)


def _reclaim(token: str, **changes: object) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{sig}"


TAMPERS: list[tuple[str, Callable[[], str], str]] = [
    ("expired", lambda: KEYS.issue_access("u1", "maria", ROLES, 600,
                                          now=time.time() - 3600), "expired"),
    ("roles widened", lambda: _reclaim(baseline(), roles=["operator"]), "not valid"),
    ("another key", lambda: TokenKeys.ed25519(Ed25519PrivateKey.generate(), "x")
     .issue_access("u1", "maria", ROLES, 600), "not valid"),
    ("the dev secret", lambda: TokenKeys.development("dev-insecure-jwt-secret")
     .issue_access("u1", "maria", ROLES, 600), "not valid"),
    ("alg none", lambda: jwt.encode({"sub": "u1", "typ": "access", "exp": 2**40, "iat": 1,
                                     "jti": "j", "iss": "zkredit", "aud": "zkredit-api"},
                                    None, algorithm="none"), "not valid"),
    ("a confirmation", lambda: KEYS.issue_confirmation("u1", "loan.accept", "a1", "", 300),
     "not an access token"),
    ("garbage", lambda: "not.a.token", "not valid"),
]


def test_the_baseline_verifies() -> None:
    principal = KEYS.verify_access(baseline())
    assert (principal.subject, principal.username, principal.roles) == ("u1", "maria", ROLES)


@pytest.mark.parametrize(("name", "make", "error"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_each_corruption_is_refused(name: str, make: Callable[[], str], error: str) -> None:
    with pytest.raises(TokenError, match=error):
        KEYS.verify_access(make())


def test_no_key_material_in_a_repr() -> None:
    assert "PRIVATE" not in repr(KEYS) and "Ed25519PrivateKey" not in repr(KEYS)
    dev = TokenKeys.development("a secret that must not show")
    assert "a secret" not in repr(dev)
