"""M-1: the credit registry's verifier cannot be repointed at once, and trust follows it.

Before the fix the registry's admin could call ``setVerifier(anyAddress)`` and, from that
address, record any attestation in the same block; and attestations written by a
replaced verifier stayed valid (review contracts-2026-12, M-1).
"""

from __future__ import annotations

from dataclasses import astuple, replace

import pytest

from zkredit.chain.config import VERIFIER_DELAY
from zkredit.chain.errors import TxReverted

from .chain import ADMIN_DELAY, DAY, ZERO_ADDRESS, Chain, System
from .test_credit_registry import WRITER_MOCK, Att, driven_registry

LEGACY_SET_VERIFIER = [{
    "type": "function", "name": "setVerifier", "stateMutability": "nonpayable",
    "inputs": [{"name": "newVerifier", "type": "address"}], "outputs": [],
}]  # fmt: skip


def _forged(chain: Chain, victim: str, nullifier: int = 42) -> Att:
    return Att(subject=victim, nullifier=nullifier, tier=1, limit=2**127, currency=566,
               expiry=chain.now() + 30 * DAY, policyHash=b"\x01" * 32,
               proofsHash=nullifier.to_bytes(32, "big"))  # fmt: skip


def test_instant_repoint_is_refused(chain: Chain, system: System) -> None:
    admin, account, victim = system.admin, chain.accounts[5], chain.accounts[6]
    credit = system.credit.functions
    # The pre-fix attack: repoint at an account in one transaction, then attest from it.
    legacy = chain.w3.eth.contract(address=system.credit.address, abi=LEGACY_SET_VERIFIER)
    with pytest.raises(TxReverted):
        chain.tx(legacy.functions.setVerifier(account), admin)
    assert credit.verifier().call() == system.zk.address
    chain.reverts(credit.recordAttestation(astuple(_forged(chain, victim)), account), account,
                  "CreditRegistry__NotVerifier", account)  # fmt: skip
    assert not credit.hasValidAttestation(victim).call()
    assert not credit.isNullifierUsed(42).call()

    # Its two-step replacement: only a contract wired to this registry, and only late.
    chain.reverts(credit.proposeVerifier(account), admin, "CreditRegistry__NotAContract", account)
    successor = chain.deploy(
        "ZKCreditVerifier", ADMIN_DELAY, admin, system.kyc.address, system.credit.address,
        [v.address for v in system.verifiers], ZERO_ADDRESS,
    )  # fmt: skip
    assert credit.verifierDelay().call() == VERIFIER_DELAY > 0
    receipt = chain.tx(credit.proposeVerifier(successor.address), admin)
    (proposed,) = chain.events(system.credit, "VerifierProposed", receipt)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert proposed.args.readyAt == block["timestamp"] + VERIFIER_DELAY
    chain.reverts(credit.acceptVerifier(), admin, "CreditRegistry__VerifierNotReady",
                  proposed.args.readyAt)  # fmt: skip
    assert credit.verifier().call() == system.zk.address
    chain.tx(credit.cancelVerifierProposal(), admin)


def test_a_replaced_verifiers_attestations_stop_being_valid(chain: Chain, system: System) -> None:
    registry = driven_registry(chain, system, delay=DAY)
    f = registry.reg.functions
    old = _forged(chain, chain.accounts[6], nullifier=7)
    registry.record(chain, old)
    assert f.isAttestationValid(old.proofsHash).call()

    successor = chain.deploy(WRITER_MOCK, registry.reg.address)
    receipt = chain.tx(f.proposeVerifier(successor.address), registry.admin)
    (proposed,) = chain.events(registry.reg, "VerifierProposed", receipt)
    chain.reverts(f.acceptVerifier(), registry.admin, "CreditRegistry__VerifierNotReady",
                  proposed.args.readyAt)  # fmt: skip
    assert f.isAttestationValid(old.proofsHash).call()  # trusted until the repoint lands
    chain.travel_to(proposed.args.readyAt + 1)
    chain.tx(f.acceptVerifier(), registry.admin)

    assert f.verifier().call() == successor.address
    assert not f.isAttestationValid(old.proofsHash).call()
    assert not f.hasValidAttestation(old.subject).call()
    assert f.isNullifierUsed(old.nullifier).call()  # consumed under any verifier
    chain.reverts(registry.writer.functions.record(astuple(replace(old, nullifier=8,
                  proofsHash=b"\x08" * 32))), registry.admin, "CreditRegistry__NotVerifier",
                  registry.writer.address)  # fmt: skip
    fresh = replace(old, nullifier=9, proofsHash=b"\x09" * 32, expiry=chain.now() + DAY)
    chain.tx(successor.functions.record(astuple(fresh)), registry.admin)
    assert f.isAttestationValid(fresh.proofsHash).call()
