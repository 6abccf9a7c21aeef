"""Agent messages: trace and correlation cross the wire, forgeries and private fields count."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from eth_account import Account
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.unit.telemetry.support import value
from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.envelope import Envelope, StaticDirectory
from zkredit.agents.common.messaging import Inbox, PeerError, Peers
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.telemetry import context, metrics, tracing

SENDER = Account.from_key(b"\x07" * 32)
MALLORY = Account.from_key(b"\x08" * 32)
CHAIN_ID = 1337


@contextmanager
def receiver(name: str, seen: list[dict[str, Any]]) -> Iterator[str]:
    inbox = Inbox(name, StaticDirectory({"sender": SENDER.address}), CHAIN_ID,
                  senders={"t.ping": frozenset({"sender"})})  # this test's own message type

    def handle(env: Envelope, key: str | None) -> dict[str, Any]:
        seen.append({"cid": context.correlation_id(), "agent": metrics.current_agent()})
        with tracing.span("handler work"):
            return {"ok": True}

    inbox.on("t.ping", handle)
    card = AgentCard(name=name, description="", url="http://test", wallet="0x0")
    server = ThreadedServer(create_agent_app(name, lambda: card, [inbox.router()]),
                            free_port()).start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def peers(url: str, account: Any = SENDER) -> Iterator[Peers]:
    out = Peers("sender", account, CHAIN_ID, lambda _agent: url)
    try:
        yield out
    finally:
        out.close()


def test_a_message_continues_the_senders_trace_under_its_correlation_id(
    spans: InMemorySpanExporter,
) -> None:
    seen: list[dict[str, Any]] = []
    name = f"r{uuid.uuid4().hex[:6]}"
    with receiver(name, seen) as url, peers(url) as p, tracing.span("sender work") as root:
        p.send(name, "t.ping", {"tier": 2}, correlation_id="app-1")
    assert seen == [{"cid": "app-1", "agent": name}]
    finished = spans.get_finished_spans()
    assert {s.context.trace_id for s in finished} == {root.get_span_context().trace_id}
    names = {s.name for s in finished}
    assert {"a2a.send t.ping", "POST /a2a/messages", "a2a.handle t.ping",
            "handler work"} <= names


def test_a_later_message_under_the_same_correlation_id_joins_the_first_trace(
    spans: InMemorySpanExporter,
) -> None:
    seen: list[dict[str, Any]] = []
    name = f"r{uuid.uuid4().hex[:6]}"
    cid = f"app-{uuid.uuid4().hex}"
    with receiver(name, seen) as url, peers(url) as p:
        with tracing.span("apply") as first:
            p.send(name, "t.ping", {}, correlation_id=cid)
        with tracing.span("accept") as second:
            p.send(name, "t.ping", {}, correlation_id=cid)
    handled = [s for s in spans.get_finished_spans() if s.name == "a2a.handle t.ping"]
    assert [s.context.trace_id for s in handled] == [first.get_span_context().trace_id] * 2
    joined = [s for s in spans.get_finished_spans() if s.name.startswith("continue ")]
    assert joined[0].links[0].context.trace_id == second.get_span_context().trace_id


def test_a_forged_envelope_is_counted_as_an_attack() -> None:
    name = f"r{uuid.uuid4().hex[:6]}"
    with receiver(name, []) as url, peers(url, MALLORY) as p, pytest.raises(PeerError):
        p.send(name, "t.ping", {})
    registry = metrics.for_agent(name).registry
    assert value(registry, "zk_attack_detection_total", attack_type="forged_signature") == 1


def test_an_inbound_private_field_lowers_the_privacy_score() -> None:
    name = f"r{uuid.uuid4().hex[:6]}"
    with receiver(name, []) as url, peers(url) as p:
        p.send(name, "t.ping", {"tier": 2})
        p.send(name, "t.ping", {"proofs": {"income": {"monthlyIncome": 1}}})
        text = httpx.get(f"{url}/metrics").text
    assert value(text, "zkredit_privacy_flagged_total", source="message") == 1
    assert value(text, "zkredit_privacy_inspections_total", source="message") == 2
    assert value(text, "zk_privacy_score") == 50.0
