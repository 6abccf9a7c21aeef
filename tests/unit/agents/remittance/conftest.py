"""A remittance agent wired to a real receiver service, each on its own SQLite database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.unit.agents.remittance.support import (
    MARIA,
    Clock,
    KycWorld,
    LocalPayouts,
    close_runtime,
    directory_of,
    identity_prover,
    make_runtime,
    wallets,
    world,
)
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.receiver.app import build_services as build_receiver
from zkredit.agents.receiver.rails import sandbox_rails
from zkredit.agents.receiver.service import ReceiverServices
from zkredit.agents.receiver.travel_rule import TravelRuleKey
from zkredit.agents.remittance.app import build_services as build_remittance
from zkredit.agents.remittance.funding import FundingRail
from zkredit.agents.remittance.schemas import QuoteReply, QuoteRequest, TransferStatus
from zkredit.agents.remittance.service import RemittanceServices
from zkredit.agents.remittance.trust import JsonTrustView
from zkredit.domain.fees import Route
from zkredit.store.db import Database
from zkredit.zk.prover import Groth16pyBackend

SETTLED = ("completed", "refunded", "held", "expired")
FAILING_ACCOUNTS = r"^0000"
"""Accounts the sandbox rails report closed."""
__all__ = ["identity_prover", "world"]  # session fixtures shared with the HTTP tests


@dataclass
class System:
    """The remittance services and the receiver behind them."""

    remittance: RemittanceServices
    receiver: ReceiverServices
    payouts: LocalPayouts
    world: KycWorld
    prover: Groth16pyBackend
    clock: Clock
    runtimes: tuple[PartyRuntime, PartyRuntime]

    def quote(self, **request: Any) -> QuoteReply:
        return self.remittance.remittance.quote(QuoteRequest(**request), "worker")

    def scenario1_quote(self) -> QuoteReply:
        return self.quote(
            send_currency="SGD",
            receive_currency="PHP",
            route=Route.BANK_TRANSFER,
            receive_amount_minor=1_500_000,
        )

    def transfer_payload(
        self, quote: QuoteReply, *, sender: str = MARIA.name, wallet: str, **extra: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "quote_id": quote.quote_id,
            "identity_proof": self.world.prove(self.prover, sender, quote.scope, wallet),
            "sender_wallet": wallet,
            "recipient": {
                "name": "Juan Rodriguez",
                "account": "1234567890",
                "bank": "Banco de Oro",
                "country": "PH",
            },
            "purpose": "education",
        }
        payload.update(extra)
        return payload

    def wait(self, transfer_id: str, states: tuple[str, ...] = SETTLED) -> TransferStatus:
        deadline = time.monotonic() + 20
        while True:
            status = self.remittance.remittance.status(transfer_id)
            if status.state in states:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"transfer {transfer_id} stuck in {status.state}: {status}")
            time.sleep(0.02)


FundingFactory = Callable[[Database, Clock], FundingRail]
"""Builds the remittance agent's funding rail on its database (default: auto-collecting)."""


@pytest.fixture
def system(tmp_path: Path, identity_prover: Groth16pyBackend, world: KycWorld) -> Iterator[System]:
    with build_system(tmp_path, identity_prover, world) as built:
        yield built


@contextmanager
def build_system(tmp_path: Path, identity_prover: Groth16pyBackend, world: KycWorld,
                 funding: FundingFactory | None = None) -> Iterator[System]:
    """The remittance agent and the receiver, started; ``funding`` picks the funding rail."""
    accounts = wallets()
    directory = directory_of(accounts)

    def nowhere(agent: str) -> str:
        raise AssertionError(f"no network in service tests (asked for {agent})")

    receiver_rt = make_runtime("receiver", tmp_path, accounts["receiver"], directory, nowhere)
    remittance_rt = make_runtime("remittance", tmp_path, accounts["remittance"], directory, nowhere)
    clock = Clock()
    receiver = build_receiver(
        receiver_rt,
        rails=sandbox_rails(fail_accounts=FAILING_ACCOUNTS),
        travel_key=TravelRuleKey.generate(),
        clock=clock,
    )
    payouts = LocalPayouts(receiver.receiver)
    remittance = build_remittance(
        remittance_rt,
        trust=JsonTrustView.from_config(world.trust_config(int(clock().timestamp()))),
        verifier=identity_prover,
        payouts=payouts,
        funding=funding(remittance_rt.db, clock) if funding is not None else None,
        clock=clock,
    )
    remittance_rt.jobs.start()
    receiver_rt.jobs.start()
    try:
        yield System(
            remittance,
            receiver,
            payouts,
            world,
            identity_prover,
            clock,
            (remittance_rt, receiver_rt),
        )
    finally:
        remittance.webhooks.close()
        close_runtime(remittance_rt)
        close_runtime(receiver_rt)
