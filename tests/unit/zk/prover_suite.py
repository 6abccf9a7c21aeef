"""The shared test suite every prover backend runs (web3.py-style).

A backend's test module subclasses :class:`ProverBackendSuite` and supplies the
``prover`` fixture. Every test here must pass for every backend.
"""

from __future__ import annotations

import pytest

from zkredit.errors import InputError, ProvingError, WitnessError
from zkredit.scenarios import SAMUEL, example_context
from zkredit.zk.credentials import nullifier
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.prover import ProverBackend
from zkredit.zk.statements import Statement

CIRCUITS = ["income", "credit_history", "collateral", "identity"]


class ProverBackendSuite:
    @pytest.fixture
    def prover(self) -> ProverBackend:
        raise NotImplementedError("subclasses supply the backend under test")

    @pytest.mark.parametrize("circuit", CIRCUITS)
    def test_proves_and_verifies_scenario2(
        self, prover: ProverBackend, samuel_statements: dict[str, Statement], circuit: str
    ) -> None:
        proof = prover.prove(circuit, samuel_statements[circuit].inputs)
        assert proof.circuit == circuit
        assert prover.verify(proof)
        expected = nullifier(SAMUEL.secret, example_context().scope)
        assert proof.public[0] == expected

    @pytest.mark.parametrize("circuit", CIRCUITS)
    def test_public_inputs_echo_the_statement(
        self,
        prover: ProverBackend,
        catalog: CircuitCatalog,
        samuel_statements: dict[str, Statement],
        circuit: str,
    ) -> None:
        spec = catalog.get(circuit)
        inputs = samuel_statements[circuit].inputs
        proof = prover.prove(circuit, inputs)
        for name, value in zip(spec.public, proof.public, strict=True):
            if name in inputs:
                assert value == int(inputs[name]), name

    def test_tamper_table_every_public_signal(
        self,
        prover: ProverBackend,
        catalog: CircuitCatalog,
        samuel_statements: dict[str, Statement],
    ) -> None:
        """One valid proof per circuit, then each public signal mutated in turn."""
        for circuit in CIRCUITS:
            proof = prover.prove(circuit, samuel_statements[circuit].inputs)
            assert prover.verify(proof)
            for i, name in enumerate(catalog.get(circuit).public):
                forged = proof.with_public(i, (proof.public[i] + 1) % (1 << 253))
                assert not prover.verify(forged), f"{circuit}.{name} mutation verified"

    def test_false_statement_is_refused_not_crashed(
        self, prover: ProverBackend, samuel_statements: dict[str, Statement]
    ) -> None:
        inputs = dict(samuel_statements["credit_history"].inputs)
        inputs["minScore"] = 746  # Samuel's score is 745
        with pytest.raises((WitnessError, ProvingError)):
            prover.prove("credit_history", inputs)

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (lambda d: d.pop("score"), "missing input signal"),
            (lambda d: d.update(bogus=1), "unknown input signal"),
            (lambda d: d.update(score=-1), "negative"),
            (lambda d: d.update(score=1.5), "integer"),
            (lambda d: d.update(score="seven"), "decimal integer"),
            (lambda d: d.update(score=1 << 254), "outside the field"),
        ],
    )
    def test_bad_inputs_raise_typed_errors(
        self,
        prover: ProverBackend,
        samuel_statements: dict[str, Statement],
        mutate: object,
        message: str,
    ) -> None:
        inputs = dict(samuel_statements["credit_history"].inputs)
        mutate(inputs)  # type: ignore[operator]
        with pytest.raises(InputError, match=message):
            prover.prove("credit_history", inputs)
