"""Where an agent may send requests a user chose (webhook targets): SSRF refusal.

In production and staging a target must be an ``https`` URL whose host resolves only
to public addresses: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
link-local (169.254/16, where cloud metadata lives), carrier-grade NAT, multicast and
reserved ranges are refused, after DNS resolution, both when the target is registered
and again before each delivery (a name re-pointed at an internal address afterwards
is refused then). Development and test accept any http(s) URL (local sinks).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from zkredit.errors import InputError

Resolver = Callable[..., list[tuple[Any, ...]]]


class EgressRefused(InputError):
    """Raised when a user-chosen URL points where this deployment must not send requests."""


@dataclass(frozen=True)
class EgressPolicy:
    public_only: bool
    resolve: Resolver = socket.getaddrinfo

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EgressRefused(f"{url!r} is not an http(s) URL")
        if not self.public_only:
            return
        if parts.scheme != "https":
            raise EgressRefused("webhook targets must be https:// URLs",
                                hint="Serve the receiving endpoint over TLS.")
        host = parts.hostname
        try:
            infos = self.resolve(host, parts.port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise EgressRefused(f"{host!r} does not resolve") from None
        if not infos:
            raise EgressRefused(f"{host!r} does not resolve")
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if not address.is_global or address.is_multicast:
                raise EgressRefused(
                    f"{host!r} resolves to {address}, which is not a public address",
                    hint="Webhook targets must be reachable on the public internet.")
