"""Fixtures of the whole-system crash tests: the session's anvil node (see the chain tier)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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


def seed_demo_users(data_dir: Path, database_url: str = "", prefix: str | None = None) -> None:
    """The demo's users in the access database of a ``zkredit serve all`` under
    ``data_dir`` (development: their passwords are public, see ``zkredit.demo.users``)."""
    from zkredit.bootstrap import build_access_store
    from zkredit.demo.users import seed_demo_users as seed
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env="development", app={"data_dir": data_dir},
                             database={"url": database_url})
    store = build_access_store(settings, prefix)
    try:
        seed(store)
    finally:
        store.db.dispose()
