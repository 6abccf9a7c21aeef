"""Rate limits: RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW per client and route group.

A fixed window counted in Redis (``INCR`` + ``EXPIRE``, shared by every process of the
deployment) when ``REDIS_URL`` is set, else in this process's memory; when Redis
fails, the memory counter takes over until it answers again. An excess request gets
429 with ``Retry-After`` (the seconds until the window ends). Routes may override the
limit (``Rule.rate``, e.g. logins) or be exempt (health, metrics).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from starlette.routing import Router
from starlette.types import ASGIApp, Receive, Scope, Send

from zkredit.agents.common.access import RouteIndex, rule_for
from zkredit.agents.common.problems import problem

log = logging.getLogger("zkredit.limits")


class Counter(Protocol):
    def hit(self, key: str, window_s: int) -> int:
        """Count one request under ``key`` in the current window; the count so far."""
        ...


@dataclass
class MemoryCounter:
    """Counts per window in this process; ended windows are dropped, the dict is bounded."""

    max_keys: int = 100_000
    clock: Callable[[], float] = time.time
    _counts: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str, window_s: int) -> int:
        now = self.clock()
        with self._lock:
            if len(self._counts) >= self.max_keys:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
                if len(self._counts) >= self.max_keys:  # a flood of distinct clients
                    self._counts.clear()
            end, count = self._counts.get(key, (now + window_s, 0))
            self._counts[key] = (end, count + 1)
            return count + 1


class RedisCounter:
    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def hit(self, key: str, window_s: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(f"{self.prefix}:{key}")
        pipe.expire(f"{self.prefix}:{key}", window_s + 1)
        count, _ = pipe.execute()
        return int(count)


@dataclass
class RateLimiter:
    requests: int
    window_s: int
    primary: Counter | None = None
    fallback: MemoryCounter = field(default_factory=MemoryCounter)
    clock: Callable[[], float] = time.time
    _warned: bool = False

    def check(self, client: str, bucket: str, rate: tuple[int, int] | None = None
              ) -> int | None:
        """None when admitted, else the seconds to wait (``Retry-After``)."""
        limit, window = rate or (self.requests, self.window_s)
        now = self.clock()
        index = int(now // window)
        key = f"{bucket}:{client}:{window}:{index}"
        count = self._hit(key, window)
        if count <= limit:
            return None
        return max(1, math.ceil((index + 1) * window - now))

    def _hit(self, key: str, window_s: int) -> int:
        if self.primary is not None:
            try:
                return self.primary.hit(key, window_s)
            except Exception as exc:  # Redis down: count here until it is back
                if not self._warned:
                    log.warning("rate limit: Redis unavailable (%s), counting in memory",
                                type(exc).__name__)
                    self._warned = True
        return self.fallback.hit(key, window_s)


def build_limiter(settings: Any, agent: str, namespace: str | None = None) -> RateLimiter:
    """The limiter of ``agent``; in Redis under ``zkredit-<namespace>-ratelimit-<agent>``
    (the namespace is the schema prefix, as for the job queues)."""
    window_s = max(1, settings.security.rate_limit_window_ms // 1000)
    primary: Counter | None = None
    if settings.queue.redis_url:
        import redis

        primary = RedisCounter(
            redis.Redis.from_url(settings.queue.redis_url, socket_timeout=0.5,
                                 socket_connect_timeout=0.5),
            f"zkredit-{namespace or 'main'}-ratelimit-{agent}")
    return RateLimiter(settings.security.rate_limit_requests, window_s, primary)


def client_address(scope: Scope, trust_proxy: bool) -> str:
    """The caller's address; behind a declared TLS proxy, the one the proxy appended."""
    if trust_proxy:
        for k, v in scope.get("headers", ()):
            if k.lower() == b"x-forwarded-for":
                return str(v.decode("latin-1")).split(",")[-1].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, agent: str, router: Router,
                 trust_proxy: bool) -> None:
        self.app = app
        self.limiter = limiter
        self.agent = agent
        self.routes = RouteIndex(router)
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, _ = self.routes.match(scope)
        path = str(getattr(route, "path", "unmatched"))
        rule = rule_for(self.agent, str(scope["method"]), path) if route else None
        if rule is not None and rule.rate_exempt:
            await self.app(scope, receive, send)
            return
        bucket = path if rule is not None and rule.rate else "api"
        client = client_address(scope, self.trust_proxy)
        rate = rule.rate if rule else None
        if self.limiter.primary is None:  # counted in memory: no I/O, no thread hop
            wait = self.limiter.check(client, bucket, rate)
        else:
            wait = await anyio.to_thread.run_sync(self.limiter.check, client, bucket, rate)
        if wait is None:
            await self.app(scope, receive, send)
            return
        if route is not None:
            scope["route"] = route
        response = problem(429, "rate-limited", "Too many requests",
                           f"more than the allowed requests from {client}; retry in {wait} s")
        response.headers["Retry-After"] = str(wait)
        await response(scope, receive, send)
