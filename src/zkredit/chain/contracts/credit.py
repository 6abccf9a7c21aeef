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
        return bool(self._call(self.fn.isNullifierUsed(nullifier)))

    def verifier(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call(self.fn.verifier()))

    def set_verifier(self, verifier: str, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.setVerifier(verifier), sender)
