"""The process pool proves an application's four statements with warm keys."""

from __future__ import annotations

import pytest

from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.pool import ProverPool
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import Statement


@pytest.mark.slow
def test_bundle_of_four_proofs(
    catalog: CircuitCatalog, backend: Groth16pyBackend, samuel_statements: dict[str, Statement]
) -> None:
    with ProverPool(catalog, workers=2) as pool:
        pool.warm()
        proofs = pool.prove_many([(n, s.inputs) for n, s in samuel_statements.items()])
    assert [p.circuit for p in proofs] == list(samuel_statements)
    assert all(backend.verify(p) for p in proofs)
    assert len({p.public[0] for p in proofs}) == 1


@pytest.mark.slow
def test_pool_surfaces_a_false_statement(
    catalog: CircuitCatalog, samuel_statements: dict[str, Statement]
) -> None:
    from zkredit.errors import WitnessError

    bad = dict(samuel_statements["income"].inputs, minMonthlyIncome=75_000_001)
    with ProverPool(catalog, workers=1) as pool, pytest.raises(WitnessError):
        pool.prove_many([("income", bad)])
