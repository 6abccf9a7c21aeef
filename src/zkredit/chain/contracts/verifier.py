"""ZKCreditVerifier: applications, lender policies, single proofs, date inputs, pause."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from zkredit.chain.application import CIRCUIT_IDS, Application, Attestation, proof_struct
from zkredit.chain.client import Sender
from zkredit.chain.contracts.base import AccessControlled, role
from zkredit.chain.errors import ChainError
from zkredit.chain.policy import OnChainPolicy
from zkredit.zk.proof import Proof

POLICY_ADMIN_ROLE = role("POLICY_ADMIN_ROLE")
PAUSER_ROLE = role("PAUSER_ROLE")

# Explicit, generous gas for proof transactions on every backend. A valid batched
# application takes ~1.05M; a failing one re-checks the proofs one by one (~1.1M
# more) to name the bad circuit. Too little gas would make the pairing precompile
# fail, which the verifier reports as an invalid proof.
APPLICATION_GAS = 4_000_000
SINGLE_PROOF_GAS = 1_000_000

SUBMISSION_TYPES = {
    "AttestationSubmission": [
        {"name": "submitter", "type": "address"},
        {"name": "requestHash", "type": "bytes32"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class DateInputs:
    """The date encodings a proof made at some timestamp must use."""

    today: int  # day number (collateral)
    current_month: int  # year * 12 + month - 1 (income)
    today_ymd: int  # YYYYMMDD (identity)


@dataclass(frozen=True)
class ProofCheck:
    """Result of a ``checkProof`` transaction."""

    circuit: str
    valid: bool
    gas_used: int
    tx_hash: str


class ZKCreditVerifier(AccessControlled):
    artifact = "ZKCreditVerifier"

    # -- applications --------------------------------------------------------------------

    def verify_and_attest(
        self, app: Application, sender: Sender | None = None, *, gas: int = APPLICATION_GAS
    ) -> Attestation:
        """Submit ``app`` from the wallet its proofs are bound to."""
        receipt = self._send(self.fn.verifyAndAttest(app.struct()), sender, gas=gas)
        return self._attestation(receipt)

    def verify_and_attest_for(
        self,
        app: Application,
        deadline: int,
        signature: bytes,
        sender: Sender | None = None,
        *,
        gas: int = APPLICATION_GAS,
    ) -> Attestation:
        """Relay ``app`` with the wallet's EIP-712 authorisation (:meth:`submission_signature`)."""
        call = self.fn.verifyAndAttestFor(app.struct(), deadline, signature)
        return self._attestation(self._send(call, sender, gas=gas))

    def submission_signature(
        self, app: Application, wallet: Sender, submitter: str, deadline: int
    ) -> bytes:
        """The wallet's consent to ``submitter`` relaying ``app`` until ``deadline``."""
        domain = {
            "name": "ZKCreditVerifier",
            "version": "1",
            "chainId": self.client.chain_id,
            "verifyingContract": self.address,
        }
        message = {"submitter": submitter, "requestHash": app.request_hash, "deadline": deadline}
        return self.client.sign_typed_data(wallet, domain, SUBMISSION_TYPES, message)

    def _attestation(self, receipt: TxReceipt) -> Attestation:
        events = self.client.events(self.contract, "ApplicationVerified", receipt)
        if not events:
            raise ChainError("verifyAndAttest emitted no ApplicationVerified event")
        args = events[0]["args"]
        return Attestation(
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            request_hash=bytes(args["requestHash"]),
            wallet=str(args["wallet"]),
            policy_hash=bytes(args["policyHash"]),
            nullifier=int(args["nullifier"]),
            tier=int(args["tier"]),
            limit=int(args["limit"]),
            submitter=str(args["submitter"]),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
        )

    # -- single proofs ----------------------------------------------------------------------

    def verify_proof(self, circuit: str, proof: Proof) -> bool:
        call = self.fn.verifyProof(CIRCUIT_IDS[circuit], proof_struct(proof), list(proof.public))
        return bool(self._call(call))

    def check_proof(
        self,
        circuit: str,
        proof: Proof,
        sender: Sender | None = None,
        *,
        gas: int = SINGLE_PROOF_GAS,
    ) -> ProofCheck:
        """``checkProof`` as a transaction (monitoring, gas measurement)."""
        call = self.fn.checkProof(CIRCUIT_IDS[circuit], proof_struct(proof), list(proof.public))
        receipt = self._send(call, sender, gas=gas)
        (event,) = self.client.events(self.contract, "ProofChecked", receipt)
        return ProofCheck(
            circuit,
            bool(event["args"]["valid"]),
            int(receipt["gasUsed"]),
            receipt["transactionHash"].to_0x_hex(),
        )

    def date_inputs(self, timestamp: int) -> DateInputs:
        today, month, ymd = self._call(self.fn.dateInputs(timestamp))
        return DateInputs(int(today), int(month), int(ymd))

    # -- policies -----------------------------------------------------------------------------

    def register_policy(self, policy: OnChainPolicy, sender: Sender | None = None) -> bytes:
        receipt = self._send(self.fn.registerPolicy(policy.struct()), sender)
        (event,) = self.client.events(self.contract, "PolicyRegistered", receipt)
        return bytes(event["args"]["policyHash"])

    def policy_hash_of(self, policy: OnChainPolicy) -> bytes:
        return bytes(self._call(self.fn.policyHashOf(policy.struct())))

    def withdraw_attestation(self, request_hash: bytes, response_uri: str = "",
                             reason_hash: bytes = bytes(32), sender: Sender | None = None
                             ) -> TxReceipt:
        """Policy admin: withdraw an attestation (validation response 0); frees its pseudonym."""
        return self._send(self.fn.withdrawAttestation(request_hash, response_uri, reason_hash),
                          sender)

    def loan_scope(self, agent_id: int) -> int:
        """The scope an application requested by ``agent_id`` must be proved under."""
        return int(self._call(self.fn.loanScope(agent_id)))

    def is_policy_active(self, policy_hash: bytes) -> bool:
        return bool(self._call(self.fn.isPolicyActive(policy_hash)))

    def get_policy(
        self, policy_hash: bytes, denied_jurisdictions: tuple[int, ...] | None = None
    ) -> OnChainPolicy:
        struct = self._call(self.fn.getPolicy(policy_hash))
        return OnChainPolicy.from_struct(struct, denied_jurisdictions)

    # -- pause ---------------------------------------------------------------------------------

    def invalidate_policy_attestations(
        self, policy_hash: bytes, sender: Sender | None = None
    ) -> TxReceipt:
        """Every attestation recorded under ``policy_hash`` until now stops being valid."""
        return self._send(self.fn.invalidatePolicyAttestations(policy_hash), sender)

    def pause(self, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.pause(), sender)

    def unpause(self, sender: Sender | None = None) -> TxReceipt:
        return self._send(self.fn.unpause(), sender)

    def paused(self) -> bool:
        return bool(self._call(self.fn.paused()))

    # -- wiring (immutables) --------------------------------------------------------------------

    def wiring(self) -> dict[str, ChecksumAddress]:
        """The addresses fixed at construction, by constructor role."""
        names = {
            "kycRegistry": "kyc",
            "creditRegistry": "credit",
            "incomeVerifier": "income",
            "creditHistoryVerifier": "credit_history",
            "collateralVerifier": "collateral",
            "identityVerifier": "identity",
            "batchVerifier": "batch",
        }
        return {
            label: Web3.to_checksum_address(self._call(getattr(self.fn, getter)()))
            for getter, label in names.items()
        }
