"""F16: the worker's long-polls take a bounded, finite wait and hold no thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from zkredit.agents.common import problems
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.worker import routes


class PendingWorker:
    """A worker whose loans and remittances never finish."""

    def loan(self, app_id: str) -> dict[str, Any]:
        return {"application_id": app_id, "status": "proving"}

    def remittance(self, rem_id: str) -> dict[str, Any]:
        return {"remittance_id": rem_id, "status": "sent"}


def worker_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.include_router(routes.router)
    app.state.worker = PendingWorker()

    @app.get("/health")
    def health() -> dict[str, str]:  # a sync route, as every agent's /health is
        return {"status": "healthy"}

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    running = ThreadedServer(worker_app(), free_port()).start()
    yield running
    running.stop()


def get(server: ThreadedServer, url: str) -> httpx.Response:
    """The response; a server that has not answered in 5 s fails the test."""
    try:
        return httpx.get(f"{server.url}{url}", timeout=5.0)
    except httpx.ReadTimeout:
        pytest.fail(f"GET {url} did not answer within 5 s")


@pytest.mark.parametrize("path", ["/loans/a1", "/remittances/r1"])
@pytest.mark.parametrize("wait", ["nan", "NaN", "inf", "-inf", "infinity", "-1", "-0.5", "abc"])
def test_a_wait_that_is_not_a_finite_non_negative_number_is_refused(
    server: ThreadedServer, path: str, wait: str
) -> None:
    response = get(server, f"{path}?wait={wait}")

    assert response.status_code == 422
    assert response.headers["content-type"] == problems.PROBLEM
    assert response.json()["type"].endswith("/invalid-request")
    assert "wait" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/loans/a1", "/remittances/r1"])
def test_a_huge_wait_is_clamped_to_the_servers_maximum(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(routes, "MAX_WAIT_S", 0.3)
    started = time.monotonic()

    response = get(server, f"{path}?wait=1e308")

    assert response.status_code == 200
    assert response.json()["status"] in {"proving", "sent"}
    assert time.monotonic() - started < 3.0


def test_long_polls_do_not_hold_the_threads_other_routes_need() -> None:
    """With every thread token taken by long-polls, /health would wait for them to end."""
    app = worker_app()
    polls = 6
    health_latency: list[float] = []

    async def scenario() -> None:
        # Two tokens stand for AnyIO's 40: the point is more long-polls than threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:

            async def poll(i: int) -> None:
                response = await client.get(f"/loans/a{i}", params={"wait": 2})
                assert response.status_code == 200

            async def health() -> None:
                await anyio.sleep(0.3)  # the long-polls are all waiting by now
                started = time.monotonic()
                response = await client.get("/health")
                health_latency.append(time.monotonic() - started)
                assert response.status_code == 200

            async with anyio.create_task_group() as tg:
                for i in range(polls):
                    tg.start_soon(poll, i)
                tg.start_soon(health)

    anyio.run(scenario)

    assert health_latency[0] < 1.0, f"/health waited {health_latency[0]:.2f} s for long-polls"
