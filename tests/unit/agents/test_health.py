"""Liveness, readiness and draining of the agent app factory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.health import HealthCheck
from zkredit.agents.launcher import ThreadedServer, free_port


def card() -> AgentCard:
    return AgentCard(name="test", description="", url="http://test", wallet="0x0")


def make_app(checks: dict[str, HealthCheck], timeout_s: float = 2.0) -> FastAPI:
    return create_agent_app("test", card, [], checks=checks, check_timeout_s=timeout_s)


@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    """The app on a real port (as the launcher serves it), and a client for it."""
    server = ThreadedServer(app, free_port()).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            yield client
    finally:
        server.stop()


def failing() -> tuple[bool, str]:
    return False, "disk full"


def raising() -> tuple[bool, str]:
    raise ConnectionError("database gone")


def test_ready_lists_every_check_when_healthy() -> None:
    with serving(make_app({"database": lambda: (True, "0.1 ms")})) as client:
        r = client.get("/health/ready")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "healthy"
        assert body["agent"] == "test"
        assert body["draining"] is False
        assert body["failing"] == []
        assert body["checks"] == {"database": {"status": "ok", "detail": "0.1 ms"}}


@pytest.mark.parametrize(
    ("check", "detail"),
    [(failing, "disk full"), (raising, "ConnectionError: database gone")],
)
def test_ready_is_503_naming_the_failing_check(check: HealthCheck, detail: str) -> None:
    with serving(make_app({"database": lambda: (True, "ok"), "disk": check})) as client:
        r = client.get("/health/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "unhealthy"
        assert body["failing"] == ["disk"]
        assert body["checks"]["disk"] == {"status": "failing", "detail": detail}
        assert body["checks"]["database"]["status"] == "ok"


def test_live_checks_nothing() -> None:
    with serving(make_app({"disk": raising})) as client:
        r = client.get("/health/live")
        assert r.status_code == 200
        assert r.json()["status"] == "alive"
        assert "checks" not in r.json()


def test_health_is_the_ready_body_for_old_callers() -> None:
    with serving(make_app({"disk": failing})) as client:
        old, ready = client.get("/health"), client.get("/health/ready")
        assert old.status_code == ready.status_code == 503
        assert old.json().keys() == ready.json().keys()
        assert old.json()["checks"] == ready.json()["checks"]


@pytest.fixture
def hung() -> Iterator[tuple[HealthCheck, list[int], threading.Event]]:
    """A check that blocks until the test releases it, counting its runs."""
    release = threading.Event()
    runs: list[int] = []

    def check() -> tuple[bool, str]:
        runs.append(1)
        release.wait()
        return True, "late"

    yield check, runs, release
    release.set()


def test_a_hung_check_fails_instead_of_hanging_the_endpoint(
    hung: tuple[HealthCheck, list[int], threading.Event],
) -> None:
    check, runs, _ = hung
    with serving(make_app({"database": check}, timeout_s=0.05)) as client:
        for _ in range(3):
            r = client.get("/health/ready")
            assert r.status_code == 503
            assert r.json()["failing"] == ["database"]
            assert r.json()["checks"]["database"]["detail"] == "no answer within 0.05 s"
            assert client.get("/health/live").status_code == 200
        assert len(runs) == 1  # later probes share the run in flight, one thread in all


def test_a_hung_check_is_retried_once_it_returns(
    hung: tuple[HealthCheck, list[int], threading.Event],
) -> None:
    check, runs, release = hung
    app = make_app({"database": check}, timeout_s=0.05)
    with serving(app) as client:
        assert client.get("/health/ready").status_code == 503
        release.set()
        # The first run may still be finishing: ask until a probe sees it done.
        for _ in range(200):
            if client.get("/health/ready").status_code == 200:
                break
        assert client.get("/health/ready").status_code == 200
        assert len(runs) >= 2


def test_draining_turns_ready_503_and_keeps_live() -> None:
    app = make_app({"database": lambda: (True, "ok")})
    with serving(app) as client:
        assert client.get("/health/ready").status_code == 200
        app.state.readiness.drain()
        r = client.get("/health/ready")
        assert r.status_code == 503
        assert r.json()["status"] == "draining"
        assert r.json()["draining"] is True
        assert client.get("/health").status_code == 503
        assert client.get("/health/live").status_code == 200
