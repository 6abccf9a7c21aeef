"""The gateway's background prober: every agent's readiness, cached for request handlers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

READY_PATH = "/health/ready"
LEGACY_PATH = "/health"
"""Agents from before ``/health/ready`` answer 404 there; they are probed here instead."""

log = logging.getLogger("zkredit.gateway")


@dataclass(frozen=True)
class AgentProbe:
    """One agent's readiness as the gateway last saw it."""

    url: str
    status: str
    """The agent's own status (healthy, unhealthy, draining), or unreachable."""
    checked_at: float
    """Wall-clock time (``time.time()``) of the answer."""
    latency_ms: float
    path: str
    http_status: int | None = None
    error: str | None = None

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.checked_at)

    def to_json(self, now: float, *, detail: bool = True) -> dict[str, object]:
        """The probe; without ``detail`` (anonymous callers) no address, path or error text,
        which name internal hosts and ports."""
        out: dict[str, object] = {
            "status": self.status,
            "checked_at": dt.datetime.fromtimestamp(self.checked_at, dt.UTC).isoformat(),
            "age_s": round(self.age_s(now), 3),
            "latency_ms": round(self.latency_ms, 1),
            "http_status": self.http_status,
        }
        if detail:
            out.update(url=self.url, path=self.path)
            if self.error is not None:
                out["error"] = self.error
        return out


class AgentProber:
    """Probes every agent's readiness in the background; request handlers read the cache.

    A round probes all agents concurrently, each bounded by ``timeout_s``, then waits
    ``interval_s``. However many requests arrive, each agent sees one probe per round, and
    a stopped or hung agent shows as unreachable about ``interval_s + timeout_s`` later.

    The thread starts on :meth:`start` or on the first read (the launcher runs uvicorn
    with lifespan off), and ends on :meth:`stop` or after ``idle_stop_s`` without a read,
    so an app that nobody stops leaves no thread probing forever. A later read restarts it.
    """

    def __init__(self, agents: Callable[[], dict[str, str]], *, interval_s: float = 1.0,
                 timeout_s: float = 1.0, idle_stop_s: float = 30.0) -> None:
        self.agents = agents
        self.interval_s, self.timeout_s, self.idle_stop_s = interval_s, timeout_s, idle_stop_s
        self.stale_after_s = 2 * interval_s + timeout_s
        """Older than this, the cache is no evidence of health: readers wait for a round."""
        self._lock = threading.Lock()
        self._round_done = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._wake: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._stopping = False
        self._last_read = time.monotonic()
        self._probes: dict[str, AgentProbe] = {}
        self._rounds = 0
        self._done_at: float | None = None
        self._paths: dict[str, str] = {}  # only touched on the prober's thread

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._ensure_running()

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            thread, wake = self._thread, self._wake
        if wake is not None:
            loop, event = wake
            # RuntimeError: the loop already closed, so the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        if thread is not None:
            thread.join(timeout)

    def _ensure_running(self) -> None:
        """Start the thread unless it runs; the caller holds ``_lock``."""
        self._stopping = False
        self._last_read = time.monotonic()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="gateway-prober")
            self._thread.start()

    # -- reading the cache ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the prober's thread is alive."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    @property
    def rounds(self) -> int:
        """Completed probe rounds since this prober was made."""
        with self._lock:
            return self._rounds

    def peek(self) -> dict[str, AgentProbe] | None:
        """The cached probes if they are fresh, else None (then call :meth:`read`)."""
        with self._lock:
            self._ensure_running()
            if self._done_at is not None and (
                    time.monotonic() - self._done_at <= self.stale_after_s):
                return self._probes
            return None

    def read(self, wait_s: float | None = None) -> dict[str, AgentProbe] | None:
        """The cached probes; when stale, first wait up to ``wait_s`` for a new round.

        None while no round has completed. The wait defaults to one probe timeout and a
        margin: long enough for a round on a prober that has just (re)started.
        """
        wait = self.timeout_s + 1.0 if wait_s is None else wait_s
        with self._lock:
            self._ensure_running()
            fresh = self._done_at is not None and (
                time.monotonic() - self._done_at <= self.stale_after_s)
            if not fresh:
                target = self._rounds + 1
                self._round_done.wait_for(lambda: self._rounds >= target, timeout=wait)
            return self._probes if self._rounds else None

    def wait_rounds(self, n: int, timeout: float) -> bool:
        """Block until ``n`` rounds have completed in all (True) or ``timeout`` passes."""
        with self._lock:
            self._ensure_running()
            return self._round_done.wait_for(lambda: self._rounds >= n, timeout=timeout)

    # -- the prober's thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread, self._wake = None, None

    async def _main(self) -> None:
        event = asyncio.Event()
        with self._lock:
            self._wake = (asyncio.get_running_loop(), event)
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            while True:
                await self._round(client)
                with self._lock:
                    idle = time.monotonic() - self._last_read > self.idle_stop_s
                    if self._stopping or idle:
                        return
                    # Cleared under the lock: a stop() after this point sets it again.
                    event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), self.interval_s)
                with self._lock:
                    if self._stopping:
                        return

    async def _round(self, client: httpx.AsyncClient) -> None:
        try:
            agents = sorted(self.agents().items())
        except Exception:  # a broken directory must not kill the prober; the cache ages
            log.exception("could not list the agents to probe")
            return
        probes = await asyncio.gather(*(self._probe(client, n, u) for n, u in agents))
        with self._lock:
            self._probes = {name: probe for (name, _), probe in zip(agents, probes, strict=True)}
            self._rounds += 1
            self._done_at = time.monotonic()
            self._round_done.notify_all()

    async def _probe(self, client: httpx.AsyncClient, name: str, url: str) -> AgentProbe:
        base = url.rstrip("/")
        path = self._paths.get(name, READY_PATH)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await client.get(base + path)
                if response.status_code == 404 and path == READY_PATH:
                    path = LEGACY_PATH
                    response = await client.get(base + path)
            body = response.json()
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            # Forget the fallback: the agent may come back as a newer version.
            self._paths.pop(name, None)
            error = (f"no answer within {self.timeout_s:g} s" if isinstance(exc, TimeoutError)
                     else f"{type(exc).__name__}: {exc}")
            return AgentProbe(url, "unreachable", time.time(),
                              (time.perf_counter() - started) * 1000, path, error=error)
        self._paths[name] = path
        status = body.get("status") if isinstance(body, dict) else None
        return AgentProbe(url, str(status or "unknown"), time.time(),
                          (time.perf_counter() - started) * 1000, path,
                          http_status=response.status_code)
