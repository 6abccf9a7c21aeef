"""Proof scopes derived from the counterparty, never chosen by the prover (review F-1).

Every proof binds ``nullifier = Poseidon(identitySecret, scope)``. When the prover
or the counterparty may pick the scope, one person can present as many
pseudonyms as they like (three concurrent loans on one set of credentials), and
a counterparty can reuse another's scope to link a person across them. So the
scope is a function of the counterparty's ERC-8004 agent id alone:

    scope = keccak256(abi.encode(keccak256(domain), chainId, registry, agentId)) >> 8

``>> 8`` keeps it below the BN254 scalar field. For loans, ``registry`` is the
identity registry the verifier contract reads, and ``ZKCreditVerifier.loanScope``
computes the same value on chain; for remittances the provider checks its own
scope off chain. The nullifier is then one stable pseudonym per person per
counterparty: the same every time that person deals with that lender or
provider, and unrelated between two of them (docs/decisions/0012-pseudonyms.md).
"""

from __future__ import annotations

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

LOAN_SCOPE_DOMAIN = "zkredit.scope.loan.v1"
REMITTANCE_SCOPE_DOMAIN = "zkredit.scope.remittance.v1"


def derived_scope(domain: str, chain_id: int, registry: str, agent_id: int) -> int:
    """The scope of ``agent_id`` (in ``registry`` on ``chain_id``) under ``domain``."""
    digest = keccak(abi_encode(["bytes32", "uint256", "address", "uint256"],
                               [keccak(text=domain), chain_id, registry, agent_id]))
    return int.from_bytes(digest, "big") >> 8
