"""A lost database or Redis connection is a 503 with Retry-After, not a 500: the caller
(the worker's app, a peer agent) retries and the request goes through once it is back."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from zkredit.agents.common import problems
from zkredit.agents.launcher import ThreadedServer, free_port

SECRET_SQL = "SELECT secret_column_7731 FROM vault WHERE owner = 'maria-55821'"


def _get(exc: Exception) -> httpx.Response:
    server = ThreadedServer(_app(exc), free_port()).start()
    try:
        return httpx.get(f"{server.url}/boom", timeout=10)
    finally:
        server.stop()


def _app(exc: Exception) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize("exc", [
    OperationalError(SECRET_SQL, {}, Exception("terminating connection due to administrator "
                                               "command")),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
], ids=["postgres-terminated", "redis-down"])
def test_a_lost_dependency_is_503_with_retry_after(exc: Exception) -> None:
    response = _get(exc)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(problems.DEPENDENCY_RETRY_AFTER_S)
    body = response.json()
    assert body["type"].endswith("/dependency-unavailable") and body["correlation_id"]
    assert "secret_column_7731" not in response.text and "6379" not in response.text


def test_any_other_failure_is_still_an_internal_error() -> None:
    response = _get(RuntimeError(SECRET_SQL))
    assert response.status_code == 500 and "secret_column_7731" not in response.text
