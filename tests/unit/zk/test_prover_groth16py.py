"""The default backend (wasmtime witness + groth16py) against the shared suite."""

from __future__ import annotations

import pytest

from tests.unit.zk.prover_suite import ProverBackendSuite
from zkredit.zk.prover import Groth16pyBackend, ProverBackend


@pytest.mark.slow
class TestGroth16pyBackend(ProverBackendSuite):
    @pytest.fixture
    def prover(self, backend: Groth16pyBackend) -> ProverBackend:
        return backend
