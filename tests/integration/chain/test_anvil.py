"""The shared chain suite on anvil, plus the gas benchmark and node failures."""

from __future__ import annotations

import pytest

from tests.unit.chain.suite import ChainSuite
from zkredit.bench.gas import APPLICATION_TARGET, SINGLE_PROOF_TARGET, run_gas_bench
from zkredit.bootstrap import ZKServices
from zkredit.chain.client import ChainClient
from zkredit.chain.errors import NodeUnavailable
from zkredit.chain.node import free_port
from zkredit.settings import Settings

pytestmark = pytest.mark.anvil


class TestAnvilChain(ChainSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls, anvil_url: str) -> ChainClient:
        return ChainClient.connect(anvil_url)


@pytest.mark.slow
def test_gas_bench_meets_the_targets(anvil_url: str, settings: Settings) -> None:
    report = run_gas_bench(client=ChainClient.connect(anvil_url), settings=settings,
                           services=ZKServices.build(settings))  # fmt: skip
    assert set(report.summary()) == {"single_proof_verify_gas", "verify_and_attest_gas"}
    assert report.single_proof_verify_gas == max(report.per_circuit.values())
    assert report.single_proof_verify_gas <= SINGLE_PROOF_TARGET, report
    assert report.verify_and_attest_gas <= APPLICATION_TARGET, report
    assert report.within_targets


def test_a_dead_node_is_reported() -> None:
    with pytest.raises(NodeUnavailable, match="no JSON-RPC node answers"):
        ChainClient.connect(f"http://127.0.0.1:{free_port()}")
