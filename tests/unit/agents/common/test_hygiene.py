"""F22, F31, F35: request hygiene and rate limits on an agent's app, as the composition
root installs them (``secure_agent_app``): a foreign Host 400, an oversized body 413,
too many requests 429 with Retry-After, security headers, no API docs in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.security import secure_agent_app
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.bootstrap import build_access_store
from zkredit.settings import load_settings
from zkredit.users.roles import Role

LIMIT = 5


def _app(tmp_path: Path, env: str = "development", **security: Any) -> Any:
    settings = load_settings(check=False, env=env, app={"data_dir": tmp_path},
                             security={"rate_limit_requests": LIMIT,
                                       "rate_limit_window_ms": 60_000,
                                       "max_body_bytes": 2_000, **security},
                             database={"url": ""}, queue={"redis_url": ""})
    router = APIRouter()

    @router.get("/policy")
    def policy() -> dict[str, str]:
        return {"policy": "public"}

    @router.post("/a2a/messages")
    async def inbox(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    @router.get("/loans")
    def loans() -> list[dict[str, str]]:
        return [{"loan": "personal"}]

    app = create_agent_app("credit", lambda: AgentCard("c", "c", "http://x", "0x0"), [router])
    store = build_access_store(settings)
    store.add_user("officer", "officer password 1", frozenset({Role.LENDER}))
    secure_agent_app(app, "credit", settings, store)
    return app, store


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadedServer]:
    app, store = _app(tmp_path)
    running = ThreadedServer(app, free_port()).start()
    yield running
    running.stop()
    store.db.dispose()


def test_a_foreign_host_header_is_refused(server: ThreadedServer) -> None:
    r = httpx.get(f"{server.url}/policy", headers={"Host": "attacker.example"})
    assert r.status_code == 400
    assert r.json()["type"].endswith("/unknown-host")
    assert httpx.get(f"{server.url}/health/live", headers={"Host": "localhost:1"}
                     ).status_code == 200


def test_an_oversized_body_is_413_whether_declared_or_streamed(server: ThreadedServer
                                                               ) -> None:
    declared = httpx.post(f"{server.url}/a2a/messages", content=b"x" * 5_000)
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 500

    streamed = httpx.post(f"{server.url}/a2a/messages", content=chunks())
    assert streamed.status_code == 413


def test_too_many_requests_are_429_with_retry_after_and_health_is_exempt(
    server: ThreadedServer,
) -> None:
    with httpx.Client(base_url=server.url) as http:
        statuses = [http.get("/policy").status_code for _ in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
        limited = http.get("/policy")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["type"].endswith("/rate-limited")
        assert all(http.get("/health/live").status_code == 200 for _ in range(3 * LIMIT))


def test_security_headers_and_no_store_on_personal_data(server: ThreadedServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        public = http.get("/policy")
        assert public.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in public.headers["content-security-policy"]
        assert "strict-transport-security" not in public.headers  # no TLS here
        token = http.post("/auth/token", json={"username": "officer",
                                               "password": "officer password 1"}).json()
        personal = http.get("/loans", headers={
            "Authorization": f"Bearer {token['access_token']}"})
        assert personal.status_code == 200
        assert personal.headers["cache-control"] == "no-store"


def test_cors_answers_only_allowed_origins(tmp_path: Path) -> None:
    app, store = _app(tmp_path, cors_origins="https://app.zkredit.example")
    server = ThreadedServer(app, free_port()).start()
    try:
        for origin, allowed in (("https://app.zkredit.example", True),
                                ("https://evil.example", False)):
            r = httpx.options(f"{server.url}/policy", headers={
                "Origin": origin, "Access-Control-Request-Method": "GET"})
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed
    finally:
        server.stop()
        store.db.dispose()


def test_production_serves_no_docs_and_hsts_behind_tls(tmp_path: Path) -> None:
    from zkredit.users.tokens import write_private_key

    write_private_key(tmp_path / "jwt.pem", None)
    app, store = _app(tmp_path, env="production", tls_proxy=True,
                      jwt_key_file=tmp_path / "jwt.pem")
    server = ThreadedServer(app, free_port()).start()
    try:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert httpx.get(f"{server.url}{path}").status_code == 404, path
        live = httpx.get(f"{server.url}/health/live")
        assert live.headers["strict-transport-security"].startswith("max-age=")
    finally:
        server.stop()
        store.db.dispose()
