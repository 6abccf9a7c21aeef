"""Fixtures for the contract tests: one embedded chain per test module."""

from __future__ import annotations

import pytest

from .chain import ARTIFACTS, Chain, System, deploy_system, require


@pytest.fixture(scope="module")
def chain() -> Chain:
    require(
        (ARTIFACTS / "ZKCreditVerifier.json").is_file(),
        "contracts/artifacts is missing; run `node tools/contracts/build.mjs`",
    )
    return Chain.start()


@pytest.fixture(scope="module")
def system(chain: Chain) -> System:
    """Every contract, with mock Groth16 verifiers (fast logic tests)."""
    return deploy_system(chain, verifier_names=["test/MockGroth16Verifier"] * 4)
