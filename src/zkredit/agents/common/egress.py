"""Where an agent may send requests a user chose (webhook targets): SSRF refusal.

In production and staging a target must be an ``https`` URL whose host resolves only
to public addresses: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
link-local (169.254/16, where cloud metadata lives), carrier-grade NAT, multicast and
reserved ranges are refused, after DNS resolution, both when the target is registered
and again at each delivery, where the addresses checked are the ones connected to
(:meth:`EgressPolicy.transport`): a name re-pointed at an internal address afterwards,
even between the check and the connect, is refused. Development and test accept any
http(s) URL (local sinks).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

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
        self.vetted_addresses(parts.hostname, parts.port or 443)

    def vetted_addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once; every address must be public, else refused."""
        try:
            infos = self.resolve(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise EgressRefused(f"{host!r} does not resolve") from None
        if not infos:
            raise EgressRefused(f"{host!r} does not resolve")
        addresses: list[str] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if not address.is_global or address.is_multicast:
                raise EgressRefused(
                    f"{host!r} resolves to {address}, which is not a public address",
                    hint="Webhook targets must be reachable on the public internet.")
            if str(address) not in addresses:
                addresses.append(str(address))
        return addresses

    def transport(self) -> httpx.HTTPTransport:
        """An httpx transport that connects only to addresses this policy vetted.

        Checking a URL and then letting httpx resolve the name again leaves a window in
        which the name can be re-pointed at an internal address (DNS rebinding). Here the
        one resolution is both checked and connected to; TLS still verifies the name.
        """
        transport = httpx.HTTPTransport()
        if self.public_only:
            # httpx exposes no network-backend option: rebuild its pool with ours, keeping
            # the TLS context httpx made (system trust store, SSL_CERT_FILE).
            ssl_context = transport._pool._ssl_context
            transport._pool = httpcore.ConnectionPool(
                ssl_context=ssl_context, network_backend=PinnedBackend(self))
        return transport


@dataclass
class PinnedBackend(httpcore.NetworkBackend):
    """Connects to a host's vetted addresses only (see :meth:`EgressPolicy.transport`)."""

    policy: EgressPolicy
    inner: httpcore.NetworkBackend = field(default_factory=httpcore.SyncBackend)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.policy.vetted_addresses(host, port):
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address,
                                              socket_options)
            except httpcore.ConnectError as exc:  # try the next vetted address
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise EgressRefused("webhook targets are never unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
