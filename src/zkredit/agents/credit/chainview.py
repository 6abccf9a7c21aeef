"""What the credit agent needs from the chain, as one small protocol."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from zkredit.domain.policy import CreditPolicy
from zkredit.zk.proof import Proof


class LenderChain(Protocol):
    """The lender's view of the registries and the verifier contract."""

    @property
    def chain_id(self) -> int: ...

    @property
    def verifier_address(self) -> str: ...

    agent_id: int

    def today(self) -> dt.date:
        """The chain's current day (the date proofs must be made for)."""
        ...

    def policy_hash(self, policy: CreditPolicy) -> str:
        """The registered on-chain policy hash (hex) of ``policy``."""
        ...

    def is_trusted_issuer(self, cred_type: int, ax: int, ay: int) -> bool: ...

    def root_published_at(self, root: int) -> int | None:
        """Unix time the KYC root was published, or None when unknown/revoked."""
        ...

    def deny_list_hash(self) -> int: ...

    @property
    def loan_scope(self) -> int:
        """The scope the verifier derives from this lender's agent id (review F-1)."""
        ...

    def active_request(self, nullifier: int) -> bytes | None:
        """The request hash of this pseudonym's still-valid attestation, if any."""
        ...

    def release_attestation(self, request_hash: bytes) -> str | None:
        """Close this lender's attestation (the loan was repaid); returns the tx hash."""
        ...

    def attest(
        self,
        proofs: dict[str, Proof],
        policy: CreditPolicy,
        wallet: str,
        submission: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Submit verifyAndAttest(For); return {tx_hash, request_hash, tier, limit, ...}."""
        ...

    def find_attestation(
        self, proofs: dict[str, Proof], policy: CreditPolicy
    ) -> dict[str, Any] | None:
        """An already-mined attestation of these proofs (for resuming after a crash)."""
        ...

    def submission_request(
        self, proofs: dict[str, Proof], policy: CreditPolicy
    ) -> dict[str, Any]:
        """What the borrower's wallet must sign so this agent may submit for them."""
        ...

    def give_feedback(self, agent: str, value: int, tag1: str, tag2: str) -> str | None:
        """Reputation feedback about ``agent``; returns the tx hash."""
        ...
