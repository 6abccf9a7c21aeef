"""F21: a body that is not an envelope is a 400 (bad input), not a 401."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from zkredit.agents.common import problems
from zkredit.agents.common.envelope import StaticDirectory
from zkredit.agents.common.messaging import Inbox
from zkredit.agents.launcher import ThreadedServer, free_port


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    app = FastAPI()
    problems.install(app)
    app.include_router(Inbox("credit", StaticDirectory({}), 31337).router())
    running = ThreadedServer(app, free_port()).start()
    yield running
    running.stop()


@pytest.mark.parametrize("body", [b"not json", b"{", b"[1, 2]", b'"envelope"', b""])
def test_a_body_that_is_not_an_envelope_object_is_a_400(server: ThreadedServer,
                                                        body: bytes) -> None:
    response = httpx.post(f"{server.url}/a2a/messages", content=body,
                          headers={"content-type": "application/json"})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == problems.PROBLEM
    assert response.json()["type"].endswith("/bad-input")
