"""Agent-to-agent messaging: signed envelopes over HTTP.

Every agent exposes one inbound endpoint, ``POST /a2a/messages``, taking a
signed :class:`Envelope`. The :class:`Inbox` verifies it (recipient, clock skew,
signature against the identity registry) and dispatches it by ``type`` to a
handler registered by the agent's service. :class:`Peers` is the outbound side:
it finds a peer's base URL (configuration override, else the agent card URL
registered on chain), signs and posts the envelope, and returns the reply
payload. Errors come back as problem+json and are re-raised as
:class:`PeerError` with the peer's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from zkredit.agents.common.access import MESSAGE_SENDERS
from zkredit.agents.common.envelope import (
    AgentDirectory,
    Envelope,
    EnvelopeError,
    sign_reply,
    verify_reply,
)
from zkredit.agents.common.replay import MemoryReplayCache, ReplayCache
from zkredit.errors import InputError, ZKreditError
from zkredit.telemetry import messages as telemetry
from zkredit.telemetry.metrics import record_attack

MessageHandler = Callable[[Envelope, str | None], dict[str, Any]]


class PeerError(ZKreditError):
    """Raised when another agent refuses or fails a request; carries its HTTP status."""

    def __init__(self, peer: str, status: int, message: str) -> None:
        super().__init__(f"{peer} agent answered {status}: {message}")
        self.peer = peer
        self.http_status = status


class UnknownMessageType(InputError):
    """Raised when an envelope's type has no handler at the recipient."""


class SenderNotAllowed(ZKreditError):
    """Raised when a registered agent sends a type that ``MESSAGE_SENDERS`` does not give it."""

    http_status = 403


class ReplayedEnvelope(EnvelopeError):
    """Raised when an envelope id was already delivered (a replay within its window)."""


REPLY_SIGNATURE = "X-Reply-Signature"
REPLY_TIMESTAMP = "X-Reply-Timestamp"


class MalformedMessage(InputError):
    """Raised when a request body is not an envelope object at all (400, not 401)."""


@dataclass
class Inbox:
    """Verifies inbound envelopes and dispatches them by type.

    An envelope is delivered when it is addressed to this agent, fresh, signed by the
    registered wallet of its sender under this deployment's domain, sent by an agent
    ``MESSAGE_SENDERS`` allows for its type, and not seen before. Replies are signed
    with ``account`` (headers ``X-Reply-Signature`` and ``X-Reply-Timestamp``).
    """

    agent: str
    directory: AgentDirectory
    chain_id: int
    handlers: dict[str, MessageHandler] = field(default_factory=dict)
    contract: str | None = None
    account: LocalAccount | None = None
    replay: ReplayCache = field(default_factory=MemoryReplayCache)
    senders: Mapping[str, frozenset[str]] = field(default_factory=lambda: MESSAGE_SENDERS)

    def on(self, message_type: str, handler: MessageHandler) -> None:
        if message_type not in self.senders:
            raise InputError(f"{message_type!r} is not in the table of who may send what "
                             "(access.MESSAGE_SENDERS)")
        self.handlers[message_type] = handler

    def deliver(self, envelope: Envelope, idempotency_key: str | None = None) -> dict[str, Any]:
        """``idempotency_key``: for in-process callers; over HTTP only the signed one counts."""
        try:
            envelope.verify(self.directory, self.chain_id, expected_recipient=self.agent,
                            contract=self.contract)
        except EnvelopeError:
            record_attack("forged_signature")
            raise
        handler = self.handlers.get(envelope.type)
        if handler is None:
            raise UnknownMessageType(
                f"the {self.agent} agent does not handle {envelope.type!r}; it handles "
                + ", ".join(sorted(self.handlers))
            )
        if envelope.sender not in self.senders.get(envelope.type, frozenset()):
            record_attack("unauthorised_sender")
            raise SenderNotAllowed(f"the {envelope.sender} agent may not send {envelope.type!r}")
        if not self.replay.first_time(self.agent, envelope.id):
            record_attack("replay")
            raise ReplayedEnvelope(f"envelope {envelope.id} was already delivered")
        with telemetry.received(envelope.type, envelope.sender, envelope.correlationId,
                                envelope.payload):
            return handler(envelope, envelope.idempotencyKey or idempotency_key)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["a2a"])

        @router.post("/a2a/messages")
        async def receive(request: Request) -> JSONResponse:
            try:
                body = await request.json()
            except ValueError:
                raise MalformedMessage("the request body is not JSON") from None
            if not isinstance(body, dict):
                raise MalformedMessage("the request body must be an envelope object")
            envelope = Envelope.from_dict(body)
            # Handlers are synchronous (database, chain, proving); keep the loop free.
            from starlette.concurrency import run_in_threadpool

            reply = await run_in_threadpool(self.deliver, envelope)
            headers = {}
            if self.account is not None:
                ts, sig = sign_reply(self.account, envelope, reply, self.chain_id,
                                     self.contract)
                headers = {REPLY_SIGNATURE: sig, REPLY_TIMESTAMP: str(ts)}
            return JSONResponse(reply, headers=headers)

        return router


@dataclass
class Peers:
    """Outbound messages to other agents, signed with this agent's wallet."""

    agent: str
    account: LocalAccount
    chain_id: int
    resolve: Callable[[str], str]
    timeout_s: float = 60.0
    _client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60.0))
    directory: AgentDirectory | None = None
    """Checks each reply's signature against the responder's registered wallet."""
    contract: str | None = None

    def send(
        self,
        recipient: str,
        message_type: str,
        payload: Mapping[str, Any],
        *,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        correlation_id = correlation_id or telemetry.correlation_id()
        envelope = Envelope.create(
            message_type, self.agent, recipient, dict(payload), correlation_id=correlation_id,
            idempotency_key=idempotency_key,
        ).signed(self.account, self.chain_id, self.contract)
        url = self.resolve(recipient).rstrip("/") + "/a2a/messages"
        headers: dict[str, str] = {}
        with telemetry.sending(recipient, message_type, correlation_id, headers):
            try:
                response = self._client.post(
                    url, json=envelope.to_dict(), headers=headers, timeout=self.timeout_s
                )
            except httpx.HTTPError as exc:
                raise PeerError(recipient, 503, f"unreachable at {url}: {exc}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail") or response.text
            except ValueError:
                detail = response.text
            raise PeerError(recipient, response.status_code, str(detail))
        data: dict[str, Any] = response.json()
        if self.directory is not None:
            self._check_reply(envelope, data, response)
        return data

    def _check_reply(self, envelope: Envelope, data: dict[str, Any],
                     response: httpx.Response) -> None:
        signature = response.headers.get(REPLY_SIGNATURE, "")
        try:
            timestamp = int(response.headers.get(REPLY_TIMESTAMP, ""))
            assert self.directory is not None
            verify_reply(self.directory, envelope, data, timestamp, signature, self.chain_id,
                         self.contract)
        except (ValueError, EnvelopeError) as exc:
            record_attack("forged_reply")
            reason = exc.message if isinstance(exc, EnvelopeError) else "the reply is unsigned"
            raise PeerError(envelope.recipient, 502, reason) from None

    def close(self) -> None:
        self._client.close()


@dataclass
class PeerDirectory:
    """Peer base URLs: explicit overrides first, then a lookup (agent cards on chain)."""

    overrides: dict[str, str] = field(default_factory=dict)
    lookup: Callable[[str], str | None] | None = None

    def __call__(self, agent: str) -> str:
        if agent in self.overrides:
            return self.overrides[agent]
        found = self.lookup(agent) if self.lookup else None
        if not found:
            raise InputError(
                f"cannot find the {agent} agent: no URL configured and no agent card registered",
                hint=f"Set ZKREDIT_PEER_{agent.upper()}_URL or register the agent on chain.",
            )
        return found
