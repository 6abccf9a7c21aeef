"""A receiver agent on its own SQLite database, with sandbox rails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.agents.remittance.support import (
    Clock,
    close_runtime,
    directory_of,
    make_runtime,
    wallets,
)
from zkredit.agents.receiver.app import build_services
from zkredit.agents.receiver.rails import sandbox_rails
from zkredit.agents.receiver.service import ReceiverServices


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverServices]:
    accounts = wallets()

    def nowhere(agent: str) -> str:
        raise AssertionError(f"the receiver calls no one (asked for {agent})")

    runtime = make_runtime(
        "receiver", tmp_path, accounts["receiver"], directory_of(accounts), nowhere
    )
    try:
        yield build_services(runtime, rails=sandbox_rails(fail_accounts=r"^0000"), clock=Clock())
    finally:
        close_runtime(runtime)
