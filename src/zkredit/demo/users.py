"""The demo's users: one per person of the scenarios, plus one per staff role.

Their passwords are derived from their names, so anyone can log in as them, exactly
as anyone can derive the development wallets: they are seeded only into the
development environment (by :class:`~zkredit.demo.system.LiveSystem`), or created by
a test with ``zkredit users add``.
"""

from __future__ import annotations

from typing import Any

import httpx

from zkredit.users.roles import Role

DEMO_USERS: dict[str, frozenset[Role]] = {
    "maria": frozenset({Role.WORKER}),
    "samuel": frozenset({Role.WORKER}),
    "john": frozenset({Role.WORKER}),
    "lena": frozenset({Role.LENDER}),
    "cora": frozenset({Role.COMPLIANCE}),
    "rex": frozenset({Role.RECEIVER_OPERATOR}),
    "otto": frozenset({Role.OPERATOR}),
}
LENDER, COMPLIANCE, RECEIVER_OPERATOR, OPERATOR = "lena", "cora", "rex", "otto"
PERSONS = {"Maria Rodriguez": "maria", "Samuel Adewale": "samuel", "John Doe": "john"}


def demo_password(username: str) -> str:
    """Public, like the development wallets: never seed these outside development."""
    return f"demo password of {username}"


def username_for(person: str) -> str:
    """The demo user who is ``person`` (a scenario's full name)."""
    return PERSONS.get(person) or person.split()[0].lower()


def seed_demo_users(store: Any) -> list[str]:
    """Create every demo user missing from ``store`` (an ``AccessStore``); their names."""
    for username, roles in DEMO_USERS.items():
        store.ensure_user(username, demo_password(username), roles)
    return list(DEMO_USERS)


def bearer(base_url: str, username: str, password: str | None = None) -> dict[str, str]:
    """Log in at ``base_url`` as ``username``: the Authorization header to send."""
    r = httpx.post(f"{base_url}/auth/token", timeout=30,
                   json={"username": username, "password": password or demo_password(username)})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
