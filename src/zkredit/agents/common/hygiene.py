"""Request hygiene on every agent: Host allowlist, body-size limit, security headers.

A Host outside the allowlist is refused (400) before anything else runs, so a page on
another site cannot reach a loopback agent by DNS rebinding. A body larger than the
limit is refused (413) as soon as its length is known (the ``Content-Length`` header
or the bytes streamed so far), before it is parsed or its signature checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zkredit.agents.common.access import DOC_PATHS
from zkredit.agents.common.problems import problem

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'")
"""The API docs load Swagger UI from its CDN (development and test only)."""


def allowed_hosts(settings: Any) -> frozenset[str]:
    """Loopback, every configured agent host, and ``ZKREDIT_ALLOWED_HOSTS``."""
    a = settings.agents
    names = set(LOOPBACK)
    for host in (getattr(a, f"{n}_host", "") for n in
                 ("gateway", "worker", "credit", "remittance", "receiver")):
        if host and host not in ("0.0.0.0", "::"):
            names.add(host.lower())
    names.update(h.strip().lower() for h in settings.security.allowed_hosts.split(",")
                 if h.strip())
    return frozenset(names)


def host_name(value: str) -> str:
    """``example.org:3001`` -> ``example.org``; ``[::1]:3001`` -> ``[::1]``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class BodyTooLarge(Exception):
    pass


class HygieneMiddleware:
    def __init__(self, app: ASGIApp, *, hosts: Iterable[str], max_body_bytes: int,
                 hsts: bool) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.any_host = "*" in self.hosts
        self.max_body = max_body_bytes
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        send = self._secured(send, str(scope.get("path", "")))
        host = host_name(headers.get("host", ""))
        if not self.any_host and host not in self.hosts:
            response = problem(400, "unknown-host", "Unknown host",
                               f"this agent does not answer for host {host!r}")
            await response(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._too_large(scope, receive, send)
            return
        seen = 0
        started = False

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded, tracking)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "body-too-large", "Request body too large",
                           f"the body exceeds {self.max_body} bytes")
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    def _secured(self, send: Send, path: str) -> Send:
        csp = DOCS_CSP if path in DOC_PATHS else API_CSP

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                extra = [(b"content-security-policy", csp.encode()),
                         (b"x-content-type-options", b"nosniff"),
                         (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"cross-origin-resource-policy", b"same-origin")]
                if self.hsts:
                    extra.append((b"strict-transport-security",
                                  b"max-age=31536000; includeSubDomains"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        return wrapped
