"""The gateway serves agent health from its background prober's cache."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from zkredit.agents.gateway.app import create_app
from zkredit.agents.gateway.prober import AgentProber
from zkredit.agents.launcher import ThreadedServer, free_port


class FakeAgent:
    """An agent app that counts the requests it gets, path by path."""

    def __init__(self, *, ready: bool = True, legacy: bool = False) -> None:
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.app = FastAPI()

        @self.app.middleware("http")
        async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                        ) -> Response:
            with self._lock:
                self.hits[request.url.path] += 1
            return await call_next(request)

        status = "healthy" if ready else "unhealthy"
        path = "/health" if legacy else "/health/ready"

        @self.app.get(path)
        def health() -> JSONResponse:
            return JSONResponse({"status": status}, status_code=200 if ready else 503)


@contextmanager
def running(app: FastAPI) -> Iterator[ThreadedServer]:
    server = ThreadedServer(app, free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def gateway(agents: dict[str, ThreadedServer], **options: float
            ) -> Iterator[tuple[httpx.Client, AgentProber]]:
    app = create_app(lambda: {name: s.url for name, s in agents.items()}, **options)
    with running(app) as server, httpx.Client(base_url=server.url, timeout=10.0) as client:
        try:
            yield client, app.state.prober
        finally:
            app.state.prober.stop()


@pytest.fixture
def agent() -> Iterator[tuple[FakeAgent, ThreadedServer]]:
    fake = FakeAgent()
    with running(fake.app) as server:
        yield fake, server


def test_api_health_says_how_old_each_probe_is(agent: tuple[FakeAgent, ThreadedServer]) -> None:
    _, server = agent
    with gateway({"worker": server}) as (client, _):
        r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    worker = body["agents"]["worker"]
    assert worker["status"] == "healthy"
    assert worker["http_status"] == 200
    assert worker["age_s"] >= 0
    assert worker["checked_at"].endswith("+00:00")


def test_a_stopped_agent_shows_unreachable() -> None:
    fake = FakeAgent()
    server = ThreadedServer(fake.app, free_port()).start()
    with gateway({"worker": server}, probe_interval_s=0.05) as (client, prober):
        assert client.get("/api/health").status_code == 200
        server.stop()
        # Two more rounds: the second one started after the agent had stopped.
        assert prober.wait_rounds(prober.rounds + 2, timeout=30)
        r = client.get("/api/health")
    assert r.status_code == 503
    assert r.json()["status"] == "unhealthy"
    worker = r.json()["agents"]["worker"]
    assert worker["status"] == "unreachable"
    assert prober.peek()["worker"].error  # the reason stays with the operator page


def test_an_unhealthy_agent_makes_the_gateway_503() -> None:
    healthy, sick = FakeAgent(), FakeAgent(ready=False)
    with running(healthy.app) as a, running(sick.app) as b, \
            gateway({"credit": a, "receiver": b}) as (client, _):
        r = client.get("/api/health")
    assert r.status_code == 503
    agents = r.json()["agents"]
    assert agents["credit"]["status"] == "healthy"
    assert agents["receiver"]["status"] == "unhealthy"
    assert agents["receiver"]["http_status"] == 503


def test_many_concurrent_requests_cause_one_probe_per_round(
    agent: tuple[FakeAgent, ThreadedServer],
) -> None:
    fake, server = agent
    # An interval far longer than the test: every request must be served by round one.
    with gateway({"worker": server}, probe_interval_s=600) as (client, prober), \
            ThreadPoolExecutor(16) as pool:
        paths = ["/api/health", "/"] * 50
        statuses = list(pool.map(lambda p: client.get(p).status_code, paths))
        assert prober.rounds == 1
    assert statuses == [200] * len(paths)
    assert fake.hits["/health/ready"] == 1


def test_probes_follow_rounds_not_requests(agent: tuple[FakeAgent, ThreadedServer]) -> None:
    fake, server = agent
    with gateway({"worker": server}, probe_interval_s=0.01) as (client, prober):
        for _ in range(50):
            assert client.get("/api/health").status_code == 200
        prober.stop()
        assert fake.hits["/health/ready"] == prober.rounds


def test_an_agent_without_health_ready_is_probed_on_health() -> None:
    legacy = FakeAgent(legacy=True)
    with running(legacy.app) as server, \
            gateway({"receiver": server}, probe_interval_s=0.01) as (client, prober):
        assert prober.wait_rounds(1, timeout=30)
        assert prober.peek()["receiver"].path == "/health"
        assert prober.wait_rounds(5, timeout=30)
        assert client.get("/api/health").status_code == 200
        prober.stop()
        rounds = prober.rounds
    assert legacy.hits["/health/ready"] == 1  # the fallback is remembered
    assert legacy.hits["/health"] == rounds


def test_the_dashboard_lists_the_cached_agents(agent: tuple[FakeAgent, ThreadedServer]) -> None:
    _, server = agent
    with gateway({"worker": server}) as (client, _):
        r = client.get("/")
    assert r.status_code == 200
    assert "<td>worker</td><td>healthy</td>" in r.text


def test_gateway_live_and_ready(agent: tuple[FakeAgent, ThreadedServer]) -> None:
    _, server = agent
    app = create_app(lambda: {"worker": server.url})
    with running(app) as gw, httpx.Client(base_url=gw.url, timeout=10.0) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["prober"]["status"] == "ok"
        assert client.get("/health").status_code == 200
        app.state.readiness.drain()
        assert client.get("/health/ready").status_code == 503
        assert client.get("/health/live").status_code == 200
        app.state.prober.stop()


def test_ready_is_503_until_a_round_has_completed() -> None:
    def no_directory() -> dict[str, str]:
        raise RuntimeError("directory down")

    app = create_app(no_directory, probe_timeout_s=0.05)
    with running(app) as gw, httpx.Client(base_url=gw.url, timeout=10.0) as client:
        ready = client.get("/health/ready")
        health = client.get("/api/health")
        app.state.prober.stop()
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["prober"]
    assert health.status_code == 503
    assert health.json()["status"] == "unknown"


def test_an_idle_prober_stops_and_restarts_on_the_next_read(
    agent: tuple[FakeAgent, ThreadedServer],
) -> None:
    _, server = agent
    prober = AgentProber(lambda: {"worker": server.url}, interval_s=0.01, idle_stop_s=0.05)
    assert prober.read() is not None
    for _ in range(1000):  # wait for the idle thread to end (polling, not timing)
        if not prober.running:
            break
        time.sleep(0.01)
    assert not prober.running
    rounds = prober.rounds
    assert prober.wait_rounds(rounds + 1, timeout=30)
    prober.stop()
    assert not prober.running


def test_the_lifespan_starts_and_stops_the_prober(
    agent: tuple[FakeAgent, ThreadedServer],
) -> None:
    _, server = agent
    app = create_app(lambda: {"worker": server.url})

    async def lifespan() -> tuple[bool, bool]:
        async with app.router.lifespan_context(app):
            during = app.state.prober.running
        return during, app.state.prober.running

    assert asyncio.run(lifespan()) == (True, False)


def test_anonymous_health_names_no_internal_address(
    agent: tuple[FakeAgent, ThreadedServer],
) -> None:
    """Issue 9: /api/health listed every agent's internal URL to anyone."""
    _, server = agent
    stopped = ThreadedServer(FakeAgent().app, free_port()).start()
    stopped.stop()
    with gateway({"worker": server, "credit": stopped}, probe_interval_s=0.05) as (client, p):
        assert p.wait_rounds(2, timeout=30)
        health, page = client.get("/api/health"), client.get("/")
    port, dead_port = server.url.rsplit(":", 1)[1], stopped.url.rsplit(":", 1)[1]
    for text in (health.text, page.text):
        assert server.url not in text and stopped.url not in text
        assert f":{port}" not in text and f":{dead_port}" not in text
    assert set(health.json()["agents"]["worker"]) == {
        "status", "checked_at", "age_s", "latency_ms", "http_status"}
