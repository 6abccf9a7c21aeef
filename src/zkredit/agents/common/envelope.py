"""Signed messages between agents.

Every message between agents travels in an :class:`Envelope` signed by the
sending agent's wallet with EIP-712. The payload is bound by its keccak hash
over canonical JSON, so the signature covers every field, the Idempotency-Key
included. The domain binds the chain and, when known, the deployment (its
identity registry as ``verifyingContract``), so an envelope of one deployment does
not verify in another on the same chain. A receiver recovers the signer and checks
it against the identity registry (an :class:`AgentDirectory`), rejecting unknown or
forged senders; its reply is signed too (:func:`sign_reply`).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from zkredit.errors import ZKreditError


class EnvelopeError(ZKreditError, ValueError):
    """Raised when an envelope is malformed, expired, forged or from an unknown sender."""


DOMAIN_NAME = "ZKredit Agents"
DOMAIN_VERSION = "2"
ENVELOPE_FIELDS = [
    {"name": "id", "type": "string"},
    {"name": "type", "type": "string"},
    {"name": "sender", "type": "string"},
    {"name": "recipient", "type": "string"},
    {"name": "payloadHash", "type": "bytes32"},
    {"name": "timestamp", "type": "uint256"},
    {"name": "correlationId", "type": "string"},
    {"name": "idempotencyKey", "type": "string"},
]
REPLY_FIELDS = [
    {"name": "requestId", "type": "string"},
    {"name": "sender", "type": "string"},
    {"name": "recipient", "type": "string"},
    {"name": "payloadHash", "type": "bytes32"},
    {"name": "timestamp", "type": "uint256"},
]


def _domain(chain_id: int, contract: str | None) -> tuple[list[dict[str, str]], dict[str, Any]]:
    fields = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
              {"name": "chainId", "type": "uint256"}]
    values: dict[str, Any] = {"name": DOMAIN_NAME, "version": DOMAIN_VERSION,
                              "chainId": chain_id}
    if contract:
        fields.append({"name": "verifyingContract", "type": "address"})
        values["verifyingContract"] = contract
    return fields, values


MAX_SKEW_S = 300


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class AgentDirectory(Protocol):
    """Who is allowed to sign as which agent (backed by the identity registry)."""

    def wallet_of(self, agent: str) -> str | None:
        """The registered wallet of ``agent``, or None when it is not registered."""
        ...


@dataclass(frozen=True)
class StaticDirectory:
    """A directory from a fixed mapping (tests, or configuration overrides)."""

    wallets: dict[str, str] = field(default_factory=dict)

    def wallet_of(self, agent: str) -> str | None:
        return self.wallets.get(agent)


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    sender: str
    recipient: str
    payload: dict[str, Any]
    timestamp: int
    correlationId: str
    signature: str = ""
    idempotencyKey: str = ""

    @classmethod
    def create(
        cls,
        type: str,
        sender: str,
        recipient: str,
        payload: dict[str, Any],
        *,
        correlation_id: str | None = None,
        now: int | None = None,
        idempotency_key: str | None = None,
    ) -> Envelope:
        return cls(
            id=str(uuid.uuid4()),
            type=type,
            sender=sender,
            recipient=recipient,
            payload=payload,
            timestamp=int(now if now is not None else time.time()),
            correlationId=correlation_id or str(uuid.uuid4()),
            idempotencyKey=idempotency_key or "",
        )

    def _typed(self, chain_id: int, contract: str | None) -> dict[str, Any]:
        fields, domain = _domain(chain_id, contract)
        return {
            "types": {"EIP712Domain": fields, "Envelope": ENVELOPE_FIELDS},
            "primaryType": "Envelope",
            "domain": domain,
            "message": {
                "id": self.id,
                "type": self.type,
                "sender": self.sender,
                "recipient": self.recipient,
                "payloadHash": keccak(canonical_json(self.payload)),
                "timestamp": self.timestamp,
                "correlationId": self.correlationId,
                "idempotencyKey": self.idempotencyKey,
            },
        }

    def signed(self, account: LocalAccount, chain_id: int,
               contract: str | None = None) -> Envelope:
        typed = self._typed(chain_id, contract)
        sig = account.sign_message(encode_typed_data(full_message=typed))
        return Envelope(
            **{**self.to_dict(), "signature": "0x" + sig.signature.hex().removeprefix("0x")}
        )

    def signer(self, chain_id: int, contract: str | None = None) -> str:
        if not self.signature:
            raise EnvelopeError("the envelope is not signed")
        try:
            return str(
                Account.recover_message(
                    encode_typed_data(full_message=self._typed(chain_id, contract)),
                    signature=bytes.fromhex(self.signature.removeprefix("0x")),
                )
            )
        except Exception as exc:  # eth-account raises several kinds on bad signatures
            raise EnvelopeError(f"the envelope signature is malformed: {exc}") from None

    def verify(
        self,
        directory: AgentDirectory,
        chain_id: int,
        *,
        expected_recipient: str,
        now: int | None = None,
        contract: str | None = None,
    ) -> None:
        """Raise :class:`EnvelopeError` unless this is a fresh, authentic message for us."""
        if self.recipient != expected_recipient:
            raise EnvelopeError(
                f"envelope is addressed to {self.recipient!r}, not {expected_recipient!r}"
            )
        current = int(now if now is not None else time.time())
        if abs(current - self.timestamp) > MAX_SKEW_S:
            raise EnvelopeError("envelope timestamp is outside the allowed clock skew")
        registered = directory.wallet_of(self.sender)
        if registered is None:
            raise EnvelopeError(f"unknown sender {self.sender!r}: not in the identity registry")
        if self.signer(chain_id, contract).lower() != registered.lower():
            raise EnvelopeError(f"forged envelope: not signed by {self.sender!r}'s wallet")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "sender": self.sender,
            "recipient": self.recipient,
            "payload": self.payload,
            "timestamp": self.timestamp,
            "correlationId": self.correlationId,
            "signature": self.signature,
            "idempotencyKey": self.idempotencyKey,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        try:
            return cls(
                id=str(data["id"]),
                type=str(data["type"]),
                sender=str(data["sender"]),
                recipient=str(data["recipient"]),
                payload=dict(data["payload"]),
                timestamp=int(data["timestamp"]),
                correlationId=str(data["correlationId"]),
                signature=str(data.get("signature", "")),
                idempotencyKey=str(data.get("idempotencyKey") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EnvelopeError(f"malformed envelope: {exc}") from None


def _reply_typed(request: Envelope, payload: dict[str, Any], timestamp: int, chain_id: int,
                 contract: str | None) -> dict[str, Any]:
    fields, domain = _domain(chain_id, contract)
    return {
        "types": {"EIP712Domain": fields, "Reply": REPLY_FIELDS},
        "primaryType": "Reply",
        "domain": domain,
        "message": {"requestId": request.id, "sender": request.recipient,
                    "recipient": request.sender,
                    "payloadHash": keccak(canonical_json(payload)), "timestamp": timestamp},
    }


def sign_reply(account: LocalAccount, request: Envelope, payload: dict[str, Any],
               chain_id: int, contract: str | None = None, *, now: int | None = None
               ) -> tuple[int, str]:
    """The responder's signature over its reply to ``request``: (timestamp, signature)."""
    timestamp = int(now if now is not None else time.time())
    typed = _reply_typed(request, payload, timestamp, chain_id, contract)
    sig = account.sign_message(encode_typed_data(full_message=typed))
    return timestamp, "0x" + sig.signature.hex().removeprefix("0x")


def verify_reply(directory: AgentDirectory, request: Envelope, payload: dict[str, Any],
                 timestamp: int, signature: str, chain_id: int,
                 contract: str | None = None) -> None:
    """Raise :class:`EnvelopeError` unless the request's recipient signed this reply."""
    registered = directory.wallet_of(request.recipient)
    if registered is None:
        raise EnvelopeError(f"unknown responder {request.recipient!r}")
    try:
        signer = Account.recover_message(
            encode_typed_data(full_message=_reply_typed(request, payload, timestamp,
                                                        chain_id, contract)),
            signature=bytes.fromhex(signature.removeprefix("0x")))
    except Exception:  # eth-account raises several kinds on bad signatures
        raise EnvelopeError(f"the reply of {request.recipient!r} has a malformed "
                            "signature") from None
    if str(signer).lower() != registered.lower():
        raise EnvelopeError(f"forged reply: not signed by {request.recipient!r}'s wallet")
