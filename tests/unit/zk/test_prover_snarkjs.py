"""The snarkjs backend against the shared suite, and cross-verification both ways."""

from __future__ import annotations

import json

import pytest

from tests.unit.zk.prover_suite import ProverBackendSuite
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.proof import Proof
from zkredit.zk.prover import Groth16pyBackend, ProverBackend, SnarkjsBackend
from zkredit.zk.statements import Statement
from zkredit.zk.toolchain import NodeTools


@pytest.fixture(scope="module")
def snarkjs_backend(catalog: CircuitCatalog, node_tools: NodeTools) -> SnarkjsBackend:
    return SnarkjsBackend(catalog, node_tools)


@pytest.mark.slow
@pytest.mark.node
class TestSnarkjsBackend(ProverBackendSuite):
    @pytest.fixture
    def prover(self, snarkjs_backend: SnarkjsBackend) -> ProverBackend:
        return snarkjs_backend

    def test_tamper_table_every_public_signal(  # type: ignore[override]
        self,
        prover: ProverBackend,
        catalog: CircuitCatalog,
        samuel_statements: dict[str, Statement],
    ) -> None:
        # Same table as the suite, on one circuit: snarkjs verify is a 0.5 s subprocess.
        proof = prover.prove("income", samuel_statements["income"].inputs)
        for i in range(catalog.get("income").n_public):
            assert not prover.verify(proof.with_public(i, proof.public[i] + 1))


@pytest.mark.slow
@pytest.mark.node
@pytest.mark.parametrize("circuit", ["income", "credit_history", "collateral", "identity"])
def test_groth16py_proof_verifies_with_snarkjs(
    backend: Groth16pyBackend,
    snarkjs_backend: SnarkjsBackend,
    samuel_statements: dict[str, Statement],
    circuit: str,
) -> None:
    proof = backend.prove(circuit, samuel_statements[circuit].inputs)
    assert snarkjs_backend.verify(proof)
    assert not snarkjs_backend.verify(proof.with_public(0, proof.public[0] + 1))


@pytest.mark.slow
@pytest.mark.node
def test_snarkjs_proof_verifies_with_groth16py(
    backend: Groth16pyBackend,
    snarkjs_backend: SnarkjsBackend,
    samuel_statements: dict[str, Statement],
) -> None:
    proof = snarkjs_backend.prove("identity", samuel_statements["identity"].inputs)
    assert backend.verify(proof)
    # and through the snarkjs JSON files, as a third party would hand them over
    again = Proof.from_snarkjs(
        json.loads(json.dumps(proof.snarkjs_proof())), proof.snarkjs_public(), "identity"
    )
    assert backend.verify(again)
    assert not backend.verify(again.with_public(2, again.public[2] + 1))
