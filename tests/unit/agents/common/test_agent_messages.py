"""F18, F19, F38: envelopes between agents are single-use, bound to one deployment,
carry their Idempotency-Key under the signature, come only from the agent allowed to
send their type, and are answered with signed replies; registry lookups are bounded
and a chain outage is a 503 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from eth_account import Account
from fastapi import FastAPI

from zkredit.agents.common import problems
from zkredit.agents.common.envelope import Envelope, EnvelopeError, StaticDirectory
from zkredit.agents.common.messaging import (
    Inbox,
    PeerError,
    Peers,
    ReplayedEnvelope,
    SenderNotAllowed,
)
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.onchain import RegistryDirectory, RegistryUnavailable
from zkredit.chain.errors import NodeUnavailable

CHAIN = 31337
DEPLOYMENT = "0x" + "ab" * 20
OTHER_DEPLOYMENT = "0x" + "cd" * 20
WORKER, CREDIT, RECEIVER = Account.create(), Account.create(), Account.create()
DIRECTORY = StaticDirectory({"worker": WORKER.address, "credit": CREDIT.address,
                             "receiver": RECEIVER.address})


def inbox(**kw: Any) -> tuple[Inbox, list[str | None]]:
    keys: list[str | None] = []
    box = Inbox("credit", DIRECTORY, CHAIN, contract=DEPLOYMENT, **kw)
    box.on("credit.application.open", lambda env, key: keys.append(key) or {"ok": True})
    return box, keys


def envelope(sender: Any = WORKER, name: str = "worker", *, key: str = "k-1",
             contract: str = DEPLOYMENT) -> Envelope:
    return Envelope.create("credit.application.open", name, "credit", {"n": 1},
                           idempotency_key=key).signed(sender, CHAIN, contract)


def test_a_replayed_envelope_is_refused() -> None:
    box, keys = inbox()
    sent = envelope()
    box.deliver(sent)
    with pytest.raises(ReplayedEnvelope, match="already delivered"):
        box.deliver(Envelope.from_dict(sent.to_dict()))
    assert keys == ["k-1"]


def test_an_envelope_of_another_deployment_on_the_same_chain_is_refused() -> None:
    box, keys = inbox()
    with pytest.raises(EnvelopeError, match="forged"):
        box.deliver(envelope(contract=OTHER_DEPLOYMENT))
    assert keys == []


def test_the_idempotency_key_is_signed_and_wins_over_an_unsigned_one() -> None:
    box, keys = inbox()
    sent = envelope(key="signed-key")
    with pytest.raises(EnvelopeError, match="forged"):
        box.deliver(replace(sent, idempotencyKey="relayed-key"))
    box.deliver(sent, "unsigned-header-key")
    assert keys == ["signed-key"]


def test_only_the_agent_allowed_for_a_type_may_send_it() -> None:
    box, keys = inbox()
    with pytest.raises(SenderNotAllowed, match="receiver agent may not send"):
        box.deliver(envelope(RECEIVER, "receiver"))
    assert keys == []


def test_every_handled_type_must_be_in_the_senders_table() -> None:
    box, _ = inbox()
    with pytest.raises(ValueError, match="MESSAGE_SENDERS"):
        box.on("credit.anything.new", lambda env, key: {})


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ThreadedServer]]:
    running = {}
    for name, account in (("signed", CREDIT), ("unsigned", None), ("impostor", WORKER)):
        app = FastAPI()
        problems.install(app)
        box = Inbox("credit", DIRECTORY, CHAIN, contract=DEPLOYMENT, account=account)
        box.on("credit.application.open", lambda env, key: {"status": "opened"})
        app.include_router(box.router())
        running[name] = ThreadedServer(app, free_port()).start()
    yield running
    for server in running.values():
        server.stop()


def peers(url: str) -> Peers:
    return Peers("worker", WORKER, CHAIN, lambda _name: url, directory=DIRECTORY,
                 contract=DEPLOYMENT)


def test_replies_are_signed_and_an_unsigned_or_forged_one_is_refused(
    servers: dict[str, ThreadedServer],
) -> None:
    good = peers(servers["signed"].url)
    try:
        assert good.send("credit", "credit.application.open", {}) == {"status": "opened"}
    finally:
        good.close()
    for name in ("unsigned", "impostor"):
        bad = peers(servers[name].url)
        try:
            with pytest.raises(PeerError) as refused:
                bad.send("credit", "credit.application.open", {})
        finally:
            bad.close()
        assert refused.value.http_status == 502, name


class _Identity:
    def __init__(self) -> None:
        self.calls = 0
        self.down = False

    def get_agent_wallet(self, agent_id: int) -> str:
        self.calls += 1
        if self.down:
            raise NodeUnavailable("connection refused")
        return CREDIT.address


class _System:
    def __init__(self) -> None:
        self.identity = _Identity()
        self.deployment = type("D", (), {"agents": {"credit": {"agentId": 2}}})()


def test_registry_lookups_cache_only_registered_agents_and_a_chain_outage_is_503() -> None:
    system = _System()
    directory = RegistryDirectory(system)  # type: ignore[arg-type]
    for n in range(1000):
        assert directory.wallet_of(f"stranger-{n}") is None
    assert system.identity.calls == 0 and len(directory._cache) == 0
    assert directory.wallet_of("credit") == CREDIT.address
    assert directory.wallet_of("credit") == CREDIT.address
    assert system.identity.calls == 1
    system.identity.down = True
    directory._cache.clear()
    with pytest.raises(RegistryUnavailable) as down:
        directory.wallet_of("credit")
    assert down.value.http_status == 503


def test_a_chain_outage_answers_503_with_retry_after_over_http() -> None:
    system = _System()
    system.identity.down = True
    app = FastAPI()
    problems.install(app)
    box = Inbox("remittance", RegistryDirectory(system), CHAIN)  # type: ignore[arg-type]
    box.on("remittance.disbursement.request", lambda env, key: {})
    app.include_router(box.router())
    server = ThreadedServer(app, free_port()).start()
    try:
        sent = Envelope.create("remittance.disbursement.request", "credit", "remittance",
                               {}).signed(CREDIT, CHAIN)
        r = httpx.post(f"{server.url}/a2a/messages", json=sent.to_dict(), timeout=10)
    finally:
        server.stop()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "5"
