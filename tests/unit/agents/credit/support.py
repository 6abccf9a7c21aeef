"""A credit agent on SQLite with a chain stand-in, driven through signed envelopes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.credit.service import CreditService
from zkredit.chain.scope import LOAN_SCOPE_DOMAIN, derived_scope
from zkredit.domain.policy import CreditPolicy
from zkredit.zk.proof import Proof

CHAIN_ID = 31337


@dataclass
class FakeLenderChain:
    """Every issuer trusted, every root fresh, attestations recorded in memory."""

    agent_id: int = 7
    attested: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[tuple[str, int, str, str]] = field(default_factory=list)
    released: list[bytes] = field(default_factory=list)

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    @property
    def verifier_address(self) -> str:
        return "0x" + "11" * 20

    def today(self) -> dt.date:
        return dt.datetime.now(dt.UTC).date()

    def policy_hash(self, policy: CreditPolicy) -> str:
        return "0x" + "22" * 32

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool:
        return True

    def root_published_at(self, root: int) -> int | None:
        return int(dt.datetime.now(dt.UTC).timestamp())

    def deny_list_hash(self) -> int:
        return 0

    @property
    def loan_scope(self) -> int:
        return derived_scope(LOAN_SCOPE_DOMAIN, CHAIN_ID, "0x" + "33" * 20, self.agent_id)

    def active_request(self, nullifier: int) -> bytes | None:
        return None

    def release_attestation(self, request_hash: bytes) -> str | None:
        self.released.append(request_hash)
        return f"0x{len(self.released):064x}"

    def attest(self, proofs: dict[str, Proof], policy: CreditPolicy, wallet: str,
               submission: dict[str, Any] | None) -> dict[str, Any]:
        result = {"tx_hash": f"0x{len(self.attested) + 1:064x}", "wallet": wallet}
        self.attested.append(result)
        return result

    def find_attestation(self, proofs: dict[str, Proof],
                         policy: CreditPolicy) -> dict[str, Any] | None:
        return None

    def submission_request(self, proofs: dict[str, Proof],
                           policy: CreditPolicy) -> dict[str, Any]:
        return {}

    def give_feedback(self, agent: str, value: int, tag1: str, tag2: str) -> str | None:
        self.feedback.append((agent, value, tag1, tag2))
        return f"0x{len(self.feedback):064x}"


@dataclass
class FakeRemittance:
    """The remittance agent as the credit agent's peers see it: accepts every disbursement,
    and reports each one as ``disbursement_state`` (with ``reasons``) when asked."""

    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    disbursement_state: str = "completed"
    reasons: list[str] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, *,
             correlation_id: str | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        self.sent.append((recipient, message_type, dict(payload)))
        transfer_id = f"t-{payload.get('loan_id')}"
        if message_type == "remittance.disbursement.status":
            return {"transfer_id": transfer_id, "kind": "disbursement",
                    "state": self.disbursement_state, "reasons": list(self.reasons)}
        return {"transfer_id": transfer_id, "state": "funded"}

    def close(self) -> None:
        return None


@dataclass
class Lender:
    """The credit service and a way to send it what the worker agent would."""

    service: CreditService
    runtime: PartyRuntime
    worker: LocalAccount
    chain: FakeLenderChain
    remittance: FakeRemittance

    def deliver(self, message_type: str, payload: dict[str, Any],
                key: str | None = None) -> dict[str, Any]:
        envelope = Envelope.create(message_type, "worker", "credit", payload).signed(
            self.worker, CHAIN_ID)
        return self.runtime.inbox.deliver(envelope, key)
