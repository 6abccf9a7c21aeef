"""Liveness and readiness: what ``/health/live``, ``/health/ready`` and ``/health`` report.

Liveness says the process still serves HTTP and checks nothing else, so a slow database
never gets a healthy process restarted. Readiness runs the dependency checks, each bounded
in time, and turns 503 while the app drains on shutdown, so a load balancer stops sending
new requests before the server closes its sockets.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from zkredit import __version__

HealthCheck = Callable[[], tuple[bool, str]]
"""A readiness check: ``(ok, detail)``. It may block; it is run with a timeout."""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"status": "ok" if self.ok else "failing", "detail": self.detail}


class _BoundedCheck:
    """One check, run on its own daemon thread so a hung dependency cannot hang the endpoint.

    Probes that arrive while a run is in flight share it: a check that hangs holds one
    thread, not one per request, and is retried only once that run ends.
    """

    def __init__(self, name: str, check: HealthCheck) -> None:
        self.name, self._check = name, check
        self._lock = threading.Lock()
        self._inflight: Future[CheckResult] | None = None

    def start(self) -> Future[CheckResult]:
        with self._lock:
            if self._inflight is None or self._inflight.done():
                future: Future[CheckResult] = Future()
                # Running from birth, so a waiter that gives up cannot cancel the shared run.
                future.set_running_or_notify_cancel()
                threading.Thread(target=self._run, args=(future,), daemon=True,
                                 name=f"health-{self.name}").start()
                self._inflight = future
            return self._inflight

    def _run(self, future: Future[CheckResult]) -> None:
        try:
            ok, detail = self._check()
            result = CheckResult(bool(ok), str(detail))
        except Exception as exc:  # a failing check is a result, not a crash
            result = CheckResult(False, f"{type(exc).__name__}: {exc}")
        future.set_result(result)


@dataclass(frozen=True)
class ReadinessReport:
    ready: bool
    draining: bool
    checks: dict[str, CheckResult]

    @property
    def failing(self) -> list[str]:
        return sorted(name for name, result in self.checks.items() if not result.ok)


class Readiness:
    """The readiness checks of one app, and its draining flag.

    Stored as ``app.state.readiness``. The server runner calls :meth:`drain` on SIGTERM:
    ``/health/ready`` then answers 503 while in-flight requests finish.
    """

    def __init__(self, checks: Mapping[str, HealthCheck] | None = None, *,
                 timeout_s: float = 2.0) -> None:
        self.timeout_s = timeout_s
        self._checks = [_BoundedCheck(name, check) for name, check in (checks or {}).items()]
        self._draining = threading.Event()

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def drain(self) -> None:
        """Report not ready from now on (the app is shutting down)."""
        self._draining.set()

    async def evaluate(self) -> ReadinessReport:
        """Run every check concurrently; one still running after ``timeout_s`` fails."""
        if self.draining:
            return ReadinessReport(ready=False, draining=True, checks={})
        waiting = {c.name: asyncio.wrap_future(c.start()) for c in self._checks}
        if waiting:
            await asyncio.wait(waiting.values(), timeout=self.timeout_s)
        results: dict[str, CheckResult] = {}
        for name, future in waiting.items():
            if future.done():
                results[name] = future.result()
            else:
                future.cancel()  # only this waiter; the shared run goes on
                results[name] = CheckResult(False, f"no answer within {self.timeout_s:g} s")
        ready = all(r.ok for r in results.values()) and not self.draining
        return ReadinessReport(ready=ready, draining=self.draining, checks=results)


def health_router(name: str, readiness: Readiness) -> APIRouter:
    """``/health/live``, ``/health/ready`` and ``/health`` (the same as ready, for old callers)."""
    router = APIRouter(tags=["ops"])
    started = time.time()

    def identity() -> dict[str, Any]:
        return {"agent": name, "version": __version__,
                "uptime_s": round(time.time() - started, 1)}

    @router.get("/health/live")
    async def live() -> JSONResponse:
        return JSONResponse({"status": "alive", **identity()})

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        report = await readiness.evaluate()
        status = ("draining" if report.draining
                  else "healthy" if report.ready else "unhealthy")
        body = {"status": status, **identity(), "draining": report.draining,
                "checks": {n: r.to_json() for n, r in report.checks.items()},
                "failing": report.failing}
        return JSONResponse(body, status_code=200 if report.ready else 503)

    router.add_api_route("/health", ready, methods=["GET"])
    return router
