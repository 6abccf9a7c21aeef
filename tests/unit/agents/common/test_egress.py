"""F11: in production a webhook target must be public https, judged after DNS resolution."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from zkredit.agents.common.egress import EgressPolicy, EgressRefused


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
