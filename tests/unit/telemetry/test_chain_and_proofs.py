"""Transactions, the chain gauge, proof generation and verification, tampered proofs."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from prometheus_client import CollectorRegistry

from tests.unit.telemetry.support import value
from zkredit.chain.client import ChainClient
from zkredit.telemetry import chain, metrics
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import Statement


def scoped_agent() -> metrics.AgentMetrics:
    return metrics.for_agent(f"c{uuid.uuid4().hex[:8]}")


def test_a_transaction_is_timed_with_its_gas_and_the_node_reads_up() -> None:
    client = ChainClient.embedded()
    a, b = client.dev_accounts()[:2]
    agent = scoped_agent()
    with metrics.scoped(agent):
        client.send_value(b.address, 1, a)
    r = agent.registry
    assert value(r, "zkredit_chain_tx_duration_seconds_count", function="transfer",
                 status="ok") == 1
    assert value(r, "zkredit_chain_tx_gas_used_sum", function="transfer") == 21_000
    registry = CollectorRegistry()
    registry.register(chain.ChainCollector(ttl_s=0.0))
    assert value(registry, "zkredit_chain_up") == 1.0
    assert value(registry, "zkredit_chain_block_number") == client.block_number()


def test_an_unanswering_node_reads_down() -> None:
    class Gone:
        def block_number(self) -> int:
            raise ConnectionError("refused")

    gone = Gone()
    chain.watch(gone)
    registry = CollectorRegistry()
    registry.register(chain.ChainCollector(ttl_s=0.0))
    assert value(registry, "zkredit_chain_up") == 0.0
    assert value(registry, "zkredit_chain_block_number") is None


@pytest.mark.slow
def test_proofs_are_timed_and_a_tampered_one_is_an_attack(
    backend: Groth16pyBackend, samuel_statements: dict[str, Statement]
) -> None:
    agent = scoped_agent()
    with metrics.scoped(agent):
        proof = backend.prove("income", samuel_statements["income"].inputs)
        assert backend.verify(proof)
        forged = dataclasses.replace(proof, public=(proof.public[0] + 1, *proof.public[1:]))
        assert not backend.verify(forged)
    r = agent.registry
    assert value(r, "zk_proof_generation_duration_seconds_count", circuit_type="income") == 1
    # the prover's check of its own proof is not a verification of a received proof
    assert value(r, "zk_proof_verification_total") == 2
    assert value(r, "zk_proof_verification_success_total") == 1
    assert value(r, "zk_proof_verification_duration_seconds_count", proof_type="income") == 2
    assert value(r, "zk_attack_detection_total", attack_type="tampered_proof") == 1
