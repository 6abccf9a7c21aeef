"""ERC8004CreditRegistry: the attestations ZKCreditVerifier records, and used nullifiers."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import AccessControlled


@dataclass(frozen=True)
class AttestationRecord:
    """``ICreditRegistry.Attestation`` as stored."""

    subject: str
    nullifier: int
    tier: int
    limit: int
    currency: int
    expiry: int
    policy_hash: bytes
    request_hash: bytes
    agent_id: int


@dataclass(frozen=True)
class PendingVerifier:
    """A verifier proposed to the credit registry, acceptable from ``ready_at`` (unix time)."""

    address: ChecksumAddress
    ready_at: int


class CreditRegistry(AccessControlled):
    artifact = "ERC8004CreditRegistry"

    def get_attestation(self, request_hash: bytes) -> AttestationRecord:
        s = self._call(self.fn.getAttestation(request_hash))
        return AttestationRecord(
            subject=str(s[0]),
            nullifier=int(s[1]),
            tier=int(s[2]),
            limit=int(s[3]),
            currency=int(s[4]),
            expiry=int(s[5]),
            policy_hash=bytes(s[6]),
            request_hash=bytes(s[7]),
            agent_id=int(s[8]),
        )

    def is_attestation_valid(self, request_hash: bytes) -> bool:
        return bool(self._call(self.fn.isAttestationValid(request_hash)))

    def has_valid_attestation(self, subject: str) -> bool:
        return bool(self._call(self.fn.hasValidAttestation(subject)))

    def latest_request_of(self, subject: str) -> bytes:
        return bytes(self._call(self.fn.latestRequestOf(subject)))

    def is_nullifier_used(self, nullifier: int) -> bool:
        """Was ``nullifier`` ever recorded (active or not)?"""
        return bool(self._call(self.fn.isNullifierUsed(nullifier)))

    def active_request_of(self, nullifier: int) -> bytes | None:
        """The still-valid attestation of this pseudonym, if any."""
        found = bytes(self._call(self.fn.activeRequestOf(nullifier)))
        return None if found == bytes(32) else found

    def release_attestation(self, request_hash: bytes, reason_hash: bytes = bytes(32),
                            sender: Sender | None = None) -> TxReceipt:
        """The lender agent closes its attestation (repaid, cancelled): the pseudonym is free."""
        return self._send(self.fn.releaseAttestation(request_hash, reason_hash), sender)

    def identity_registry(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call(self.fn.identityRegistry()))

    def verifier(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call(self.fn.verifier()))

    def verifier_delay(self) -> int:
        """Seconds a proposed verifier waits before it can be accepted."""
        return int(self._call(self.fn.verifierDelay()))

    def pending_verifier(self) -> PendingVerifier | None:
        """The proposed next verifier and when it can be accepted; None if none."""
        proposed, ready_at = self._call(self.fn.pendingVerifier())
        if int(proposed, 16) == 0:
            return None
        return PendingVerifier(Web3.to_checksum_address(proposed), int(ready_at))

    def propose_verifier(self, verifier: str, sender: Sender | None = None) -> TxReceipt:
        """Step 1 of a repoint (default admin): ``verifier`` must be wired to this registry."""
        return self._send(self.fn.proposeVerifier(verifier), sender)

    def accept_verifier(self, sender: Sender | None = None) -> TxReceipt:
        """Step 2 (default admin), once the pending proposal's delay has passed."""
        return self._send(self.fn.acceptVerifier(), sender)

    def cancel_verifier_proposal(self, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.cancelVerifierProposal(), sender)
