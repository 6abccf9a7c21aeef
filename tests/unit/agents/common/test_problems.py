"""F20/F21: the error funnel. 500s reveal nothing; conflicts and bad input are 4xx."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

from zkredit import errors
from zkredit.agents.common import problems
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.store.engines import sqlite_engine

SECRET = "Maria-Rodriguez-SGD-105000"
"""A value that must never reach a response body."""


def sql_failure(engine: Engine | None = None) -> Exception:
    """A real SQLAlchemy error; by default its text carries the SQL and its bound parameters."""
    engine = engine or create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [{"id": 1, "v": SECRET}, {"id": 1, "v": SECRET}])
    except IntegrityError as exc:
        return exc
    raise AssertionError("the duplicate insert should fail")


def failing_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError(f"unexpected state for {SECRET}")

    @app.get("/zk-bug")
    def zk_bug() -> None:
        raise errors.ZKreditError(f"on-chain attestation failed: {SECRET}")

    @app.get("/duplicate")
    def duplicate() -> None:
        raise sql_failure()

    @app.get("/bad-input")
    def bad_input() -> None:
        raise errors.InputError("amount_minor must be positive")

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    running = ThreadedServer(failing_app(), free_port()).start()
    yield running
    running.stop()


@pytest.mark.parametrize("path", ["/bug", "/zk-bug"])
def test_a_500_says_only_internal_error_and_a_correlation_id(
    server: ThreadedServer, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="zkredit.http"):
        response = httpx.get(f"{server.url}{path}")

    assert response.status_code == 500
    assert response.headers["content-type"] == problems.PROBLEM
    body = response.json()
    assert SECRET not in response.text
    assert body["detail"] == "internal error"
    correlation = body["correlation_id"]
    assert len(correlation) >= 16
    assert response.headers[problems.CORRELATION_HEADER] == correlation
    logged = [r for r in caplog.records if correlation in r.getMessage()]
    assert logged, "the server log names the correlation id"
    assert logged[0].exc_info is not None
    assert SECRET in str(logged[0].exc_info[1])


def test_a_unique_constraint_hit_by_a_concurrent_duplicate_is_a_409_without_the_sql(
    server: ThreadedServer,
) -> None:
    response = httpx.get(f"{server.url}/duplicate")

    assert response.status_code == 409
    assert response.headers["content-type"] == problems.PROBLEM
    assert response.json()["type"].endswith("/conflict")
    assert SECRET not in response.text
    assert "INSERT" not in response.text


def test_a_4xx_keeps_its_actionable_message(server: ThreadedServer) -> None:
    response = httpx.get(f"{server.url}/bad-input")

    assert response.status_code == 400
    assert response.json()["detail"] == "amount_minor must be positive"


def test_the_product_engines_do_not_render_bound_parameters(tmp_path: Path) -> None:
    """SQL errors that reach a log or a traceback must not carry row contents either."""
    exc = sql_failure(sqlite_engine(tmp_path / "party.db"))

    assert "INSERT INTO t" in str(exc)
    assert SECRET not in str(exc)
