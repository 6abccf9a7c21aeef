"""Gateway: ``/api/health`` over every agent, and a small status dashboard.

Both are public, so neither names an agent's address, probe path or error text
(internal hosts and ports); operators see those on the dashboard's ``/operator``
page, behind login.

Both read the background prober's cache (see :mod:`.prober`), so a request costs no
call to any agent, however many arrive.
"""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from zkredit import __version__
from zkredit.agents.common import problems
from zkredit.agents.common.health import Readiness, health_router
from zkredit.agents.gateway.prober import AgentProbe, AgentProber
from zkredit.telemetry.http import install_metrics_endpoint


def create_app(agents: Callable[[], dict[str, str]], *, probe_interval_s: float = 1.0,
               probe_timeout_s: float = 1.0, idle_stop_s: float = 30.0,
               web: Callable[[FastAPI], object] | None = None) -> FastAPI:
    """``agents`` maps agent name -> base URL (resolved on every probe round).

    Each agent is probed every ``probe_interval_s`` (bounded by ``probe_timeout_s``) while
    someone reads the cache; the prober stops ``idle_stop_s`` after the last read.
    ``app.state.prober.stop()`` stops it at once (the lifespan does, when it runs), and
    ``app.state.readiness.drain()`` turns ``/health/ready`` 503 on shutdown.
    ``web`` mounts the dashboard (:func:`zkredit.web.app.mount`) in place of the status page.
    """
    prober = AgentProber(agents, interval_s=probe_interval_s, timeout_s=probe_timeout_s,
                         idle_stop_s=idle_stop_s)

    def probed() -> tuple[bool, str]:
        probes = prober.read()
        if probes is None:
            return False, "no probe round has completed yet"
        return True, f"{len(probes)} agents probed"

    readiness = Readiness({"prober": probed}, timeout_s=probe_timeout_s + 2.0)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        prober.start()
        yield
        await run_in_threadpool(prober.stop)

    app = FastAPI(title="ZKredit gateway", version=__version__, lifespan=lifespan)
    problems.install(app)
    install_metrics_endpoint(app, "gateway")
    app.include_router(health_router("gateway", readiness))
    app.state.prober = prober
    app.state.readiness = readiness

    async def cached() -> dict[str, AgentProbe] | None:
        probes = prober.peek()
        if probes is None:  # first request, or the prober was idle: wait for a round
            probes = await run_in_threadpool(prober.read)
        return probes

    @app.get("/api/health")
    async def health() -> JSONResponse:
        probes = await cached()
        now = time.time()
        if probes is None:
            return JSONResponse(
                {"status": "unknown", "version": __version__, "agents": {},
                 "error": "no probe round has completed yet"}, status_code=503)
        # A probe older than stale_after_s means the prober is stuck: no evidence of health.
        healthy = all(p.status == "healthy" and p.age_s(now) <= prober.stale_after_s
                      for p in probes.values())
        return JSONResponse(
            {"status": "healthy" if healthy else "unhealthy", "version": __version__,
             "probe_interval_s": prober.interval_s,
             "agents": {name: p.to_json(now, detail=False) for name, p in probes.items()}},
            status_code=200 if healthy else 503,
        )

    if web is not None:
        web(app)
        return app

    @app.get("/", response_class=HTMLResponse)
    async def dashboard() -> str:
        probes = await cached() or {}
        now = time.time()
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(p.status)}</td>"
            f"<td>{p.age_s(now):.1f} s ago</td></tr>"
            for n, p in probes.items()
        )
        return (
            "<!doctype html><html><head><title>ZKredit</title><style>"
            "body{font-family:system-ui;margin:2rem}td,th{padding:.3rem 1rem;"
            "border-bottom:1px solid #ddd}</style></head><body>"
            f"<h1>ZKredit {__version__}</h1><p>Privacy-preserving credit and remittance.</p>"
            "<table><tr><th>agent</th><th>status</th><th>checked</th></tr>"
            f"{rows}</table></body></html>"
        )

    return app
