"""A worker agent's services on SQLite, with no prover and no peers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.agents.remittance.support import close_runtime, directory_of, make_runtime, wallets
from zkredit.agents.worker.service import WorkerService
from zkredit.agents.worker.vault import Keyring
from zkredit.agents.worker.vaultstore import Vault

VAULT_KEY = "5f" * 32


@pytest.fixture
def worker_service(tmp_path: Path) -> Iterator[WorkerService]:
    accounts = wallets()

    def nowhere(agent: str) -> str:
        raise AssertionError(f"no network in worker service tests (asked for {agent})")

    runtime = make_runtime("worker", tmp_path, accounts["worker"], directory_of(accounts),
                           nowhere)
    vault = Vault(runtime.db, Keyring.from_settings(VAULT_KEY, development=False))

    def no_prover() -> None:
        raise AssertionError("no proving in worker service tests")

    service = WorkerService(runtime, vault, no_prover,  # type: ignore[arg-type]
                            sign_submission=lambda *args: None,
                            is_trusted_issuer=lambda *args: True)
    service.register_jobs()  # registered, never started: enqueued jobs just wait
    try:
        yield service
    finally:
        close_runtime(runtime)
