"""F11: in production a webhook target must be public https, judged after DNS resolution."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest

from zkredit.agents.common.egress import EgressPolicy, EgressRefused, PinnedBackend


def resolver(table: dict[str, str]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
    return resolve


NAMES = {"127.0.0.1": "127.0.0.1", "10.0.0.1": "10.0.0.1", "hooks.example": "93.184.216.34",
         "internal.example": "10.0.0.1", "metadata.example": "169.254.169.254",
         "cgnat.example": "100.64.0.1", "[::1]": "::1", "::1": "::1"}
PRODUCTION = EgressPolicy(public_only=True, resolve=resolver(NAMES))


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://internal.example/hook",
    "https://metadata.example/latest", "https://cgnat.example/hook", "https://[::1]/hook",
    "http://hooks.example/hook", "https://nowhere.example/hook", "ftp://hooks.example/x",
])
def test_production_refuses_internal_plain_or_unresolvable_targets(url: str) -> None:
    with pytest.raises(EgressRefused):
        PRODUCTION.check(url)


def test_production_accepts_a_public_https_target() -> None:
    PRODUCTION.check("https://hooks.example/zkredit")


def test_development_accepts_a_local_sink() -> None:
    EgressPolicy(public_only=False).check("http://127.0.0.1:9999/sink")


class Rebinding:
    """A name that answers public for the first ``public_answers`` lookups, then loopback."""

    def __init__(self, public_answers: int) -> None:
        self.left = public_answers
        self.lookups = 0

    def __call__(self, host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        self.lookups += 1
        address = "93.184.216.34" if self.left > 0 else "127.0.0.1"
        self.left -= 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_a_name_rebound_between_check_and_connect_is_refused_at_connect() -> None:
    """Issue 9: the check resolved the name, then httpx resolved it again to connect."""
    rebinding = Rebinding(public_answers=1)
    policy = EgressPolicy(public_only=True, resolve=rebinding)
    policy.check("https://rebind.example/hook")  # public now: accepted
    with httpx.Client(transport=policy.transport()) as client, \
            pytest.raises(EgressRefused, match=r"resolves to 127\.0\.0\.1"):
        client.post("https://rebind.example/hook", content=b"{}")
    assert rebinding.lookups == 2  # the connect used the policy's own lookup


@dataclass
class Recorder(httpcore.NetworkBackend):
    hosts: list[str] = field(default_factory=list)

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.hosts.append(host)
        raise httpcore.ConnectError("recorded, not connected")


def test_the_connect_goes_to_the_vetted_address_not_the_name() -> None:
    inner = Recorder()
    backend = PinnedBackend(PRODUCTION, inner)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("hooks.example", 443)
    assert inner.hosts == ["93.184.216.34"]
    with pytest.raises(EgressRefused):
        backend.connect_tcp("internal.example", 443)
    assert inner.hosts == ["93.184.216.34"]  # never tried the internal one
