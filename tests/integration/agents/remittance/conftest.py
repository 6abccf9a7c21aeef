"""The remittance and receiver agents served over real HTTP, talking to each other.

Both apps run under uvicorn on free local ports, in threads. Agents authenticate
with freshly generated wallets in a :class:`StaticDirectory`; the worker and the
lender are played by :class:`Peers` clients signing with their own wallets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from tests.unit.agents.remittance.support import (
    CHAIN_ID,
    Clock,
    KycWorld,
    close_runtime,
    directory_of,
    identity_prover,
    make_runtime,
    wallets,
    world,
)

from zkredit.agents.common.messaging import PeerDirectory, Peers
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.receiver.app import build_services as build_receiver
from zkredit.agents.receiver.app import create_app as receiver_app
from zkredit.agents.receiver.rails import sandbox_rails
from zkredit.agents.receiver.service import ReceiverServices
from zkredit.agents.remittance.app import build_services as build_remittance
from zkredit.agents.remittance.app import create_app as remittance_app
from zkredit.agents.remittance.service import RemittanceServices
from zkredit.agents.remittance.trust import JsonTrustView
from zkredit.zk.prover import Groth16pyBackend

__all__ = ["identity_prover", "world"]


@dataclass
class Network:
    remittance: RemittanceServices
    receiver: ReceiverServices
    urls: dict[str, str]
    accounts: dict[str, LocalAccount]
    world: KycWorld
    prover: Groth16pyBackend
    http: httpx.Client
    clients: list[Peers]

    def peer(self, name: str, account: LocalAccount | None = None) -> Peers:
        """A client that signs as ``name`` (with its registered wallet unless given another)."""
        client = Peers(name, account or self.accounts[name], CHAIN_ID, PeerDirectory(self.urls))
        self.clients.append(client)
        return client


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory, identity_prover: Groth16pyBackend, world: KycWorld
) -> Iterator[Network]:
    data_dir: Path = tmp_path_factory.mktemp("agents")
    accounts = wallets()
    directory = directory_of(accounts)
    ports = {"remittance": free_port(), "receiver": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    resolve = PeerDirectory(urls)
    receiver_rt = make_runtime("receiver", data_dir, accounts["receiver"], directory, resolve)
    remittance_rt = make_runtime("remittance", data_dir, accounts["remittance"], directory, resolve)
    clock = Clock()
    receiver = build_receiver(
        receiver_rt, rails=sandbox_rails(fail_accounts=r"^0000"), public_url=urls["receiver"]
    )
    remittance = build_remittance(
        remittance_rt,
        trust=JsonTrustView.from_config(world.trust_config(int(clock().timestamp()))),
        verifier=identity_prover,
        public_url=urls["remittance"],
    )
    servers = [
        ThreadedServer(receiver_app(receiver_rt, receiver), ports["receiver"]).start(),
        ThreadedServer(remittance_app(remittance_rt, remittance), ports["remittance"]).start(),
    ]
    remittance_rt.jobs.start()  # the launcher serves with lifespan="off"
    receiver_rt.jobs.start()
    http = httpx.Client(timeout=30)
    clients: list[Peers] = []
    try:
        yield Network(remittance, receiver, urls, accounts, world, identity_prover, http, clients)
    finally:
        http.close()
        for client in clients:
            client.close()
        for server in servers:
            server.stop()
        remittance.webhooks.close()
        close_runtime(remittance_rt)
        close_runtime(receiver_rt)
