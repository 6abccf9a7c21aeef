"""Fixtures of the whole-system crash tests: the session's anvil node (see the chain tier)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.chain.conftest import anvil_url  # noqa: F401
from zkredit.demo.flows import WorkerClient


@pytest.fixture
def worker(server: Any) -> Iterator[WorkerClient]:
    """The worker's own app, talking to the worker agent (whichever run serves it)."""
    client = WorkerClient(server.worker_url)
    try:
        yield client
    finally:
        client.http.close()
