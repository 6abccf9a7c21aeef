"""A credit agent per test, on its own SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.agents.credit.support import FakeLenderChain, FakeRemittance, Lender
from tests.unit.agents.remittance.support import (
    close_runtime,
    directory_of,
    make_runtime,
    wallets,
)
from zkredit.agents.credit.service import CreditService
from zkredit.zk.manifest import CircuitCatalog


@pytest.fixture
def lender(tmp_path: Path, catalog: CircuitCatalog) -> Iterator[Lender]:
    accounts = wallets()

    def nowhere(agent: str) -> str:
        raise AssertionError(f"no network in credit service tests (asked for {agent})")

    runtime = make_runtime("credit", tmp_path, accounts["credit"], directory_of(accounts),
                           nowhere)
    chain = FakeLenderChain()
    remittance = FakeRemittance()
    runtime.peers.close()
    runtime.peers = remittance  # type: ignore[assignment]
    service = CreditService(runtime, catalog, chain)
    service.register()
    runtime.jobs.start()
    try:
        yield Lender(service, runtime, accounts["worker"], chain, remittance)
    finally:
        close_runtime(runtime)
