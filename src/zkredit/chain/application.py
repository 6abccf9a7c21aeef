"""A loan application as ``IZKCreditVerifier.Application``: four proofs and a policy.

Built from four :class:`zkredit.zk.proof.Proof` objects (what the prover and
``zkredit prove`` produce). Public signals are in snarkjs order, outputs first;
the circuit ids equal the credential types (1 income ... 4 identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from zkredit.errors import InputError
from zkredit.zk.proof import Proof

CIRCUITS = ("income", "credit_history", "collateral", "identity")
CIRCUIT_IDS = {name: i for i, name in enumerate(CIRCUITS, start=1)}
SIGNAL_COUNTS = {"income": 9, "credit_history": 10, "collateral": 10, "identity": 10}

_PROOF = "(uint256[2],uint256[2][2],uint256[2])"
APPLICATION_ABI_TYPE = (
    f"(bytes32,uint256,{_PROOF},uint256[9],{_PROOF},uint256[10],{_PROOF},uint256[10],"
    f"{_PROOF},uint256[10])"
)

# Signal positions the contract reads (IZKCreditVerifier's layout).
NULLIFIER = 0
WALLET = {"income": 8, "credit_history": 9, "collateral": 9, "identity": 9}
SCOPE = {"income": 7, "credit_history": 8, "collateral": 8, "identity": 8}
TIER = 1  # credit_history
KYC_ROOT = 2  # identity


def proof_struct(proof: Proof) -> tuple[list[int], list[list[int]], list[int]]:
    """``Groth16Proof`` (a, b, c) in snarkjs calldata layout (G2 imaginary part first)."""
    a, b, c, _ = proof.calldata()
    return a, b, c


@dataclass(frozen=True)
class Application:
    """The four proofs of one application, under one policy."""

    policy_hash: bytes
    proofs: Mapping[str, Proof]
    agent_id: int = 0

    def __post_init__(self) -> None:
        missing = [c for c in CIRCUITS if c not in self.proofs]
        if missing:
            raise InputError(f"an application needs four proofs; missing: {', '.join(missing)}")
        for name in CIRCUITS:
            count = len(self.proofs[name].public)
            if count != SIGNAL_COUNTS[name]:
                raise InputError(
                    f"the {name} proof has {count} public signals; the verifier expects "
                    f"{SIGNAL_COUNTS[name]}"
                )
        if len(self.policy_hash) != 32:
            raise InputError(f"a policy hash is 32 bytes. Got {len(self.policy_hash)}")

    def struct(self) -> tuple[Any, ...]:
        """The ``Application`` tuple in ABI field order."""
        parts: list[Any] = [self.policy_hash, self.agent_id]
        for name in CIRCUITS:
            proof = self.proofs[name]
            parts += [proof_struct(proof), list(proof.public)]
        return tuple(parts)

    @property
    def request_hash(self) -> bytes:
        """``keccak256(abi.encode(app))``: the attestation's key on chain."""
        return bytes(keccak(abi_encode([APPLICATION_ABI_TYPE], [self.struct()])))

    @property
    def nullifier(self) -> int:
        return self.proofs["income"].public[NULLIFIER]

    @property
    def wallet(self) -> str:
        """The wallet the proofs are bound to (the income proof's; the contract checks all)."""
        value = self.proofs["income"].public[WALLET["income"]]
        if value >= 1 << 160:
            raise InputError(f"the proofs' wallet signal is not an address: {value}")
        return to_checksum_address(value.to_bytes(20, "big"))

    def with_signal(self, circuit: str, index: int, value: int) -> Application:
        """A copy with one public signal replaced (tamper tests)."""
        proofs = dict(self.proofs)
        proofs[circuit] = proofs[circuit].with_public(index, value)
        return Application(self.policy_hash, proofs, self.agent_id)


@dataclass(frozen=True)
class Attestation:
    """What ``verifyAndAttest`` recorded, decoded from ``ApplicationVerified``."""

    tx_hash: str
    request_hash: bytes
    wallet: str
    policy_hash: bytes
    nullifier: int
    tier: int
    limit: int
    submitter: str
    block_number: int
    gas_used: int

    def to_json(self) -> dict[str, Any]:
        return {
            "txHash": self.tx_hash,
            "requestHash": "0x" + self.request_hash.hex(),
            "wallet": self.wallet,
            "policyHash": "0x" + self.policy_hash.hex(),
            "nullifier": str(self.nullifier),
            "tier": self.tier,
            "limit": self.limit,
            "submitter": self.submitter,
            "blockNumber": self.block_number,
            "gasUsed": self.gas_used,
        }
