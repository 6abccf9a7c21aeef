"""Fixtures for the circuit witness tests: one compiled witness calculator per circuit
(session-scoped: compiling a wasm costs ~1.5 s, cached on disk after the first run)."""

from __future__ import annotations

import pytest
import wasmtime

from tests.unit.circuits.builders import Circuit
from zkredit.zk.credentials import CredentialType
from zkredit.zk.manifest import CircuitCatalog, sha256_file
from zkredit.zk.prover import load_wasm_module
from zkredit.zk.witness import WitnessCalculator


@pytest.fixture(scope="session")
def _intact_circuits(catalog: CircuitCatalog) -> CircuitCatalog:
    """The compiled wasm and the sources (whose line numbers the tests read) must be the
    ones the ceremony manifest records; otherwise these tests would check stale code."""
    manifest = catalog.read_manifest()
    problems = [
        rel
        for rel, digest in manifest.get("sources", {}).items()
        if sha256_file(catalog.circuits_dir / rel) != digest
    ]
    problems += [
        name
        for name in catalog.names()
        if sha256_file(catalog.artifact_path(name, "wasm")) != manifest["circuits"][name]["wasm"]
    ]
    if problems:
        pytest.fail(
            "circuit sources or wasm differ from circuits/keys/MANIFEST.json "
            f"({', '.join(sorted(problems))}); recompile before running the witness tests"
        )
    return catalog


@pytest.fixture(scope="session")
def _engine() -> wasmtime.Engine:
    return wasmtime.Engine()


def _load(catalog: CircuitCatalog, engine: wasmtime.Engine, name: str) -> Circuit:
    wasm = catalog.artifact_path(name, "wasm")
    calc = WitnessCalculator(wasm, engine, load_wasm_module(engine, wasm))
    source = catalog.source_path(name).read_text().splitlines()
    return Circuit(catalog.get(name), calc, source)


@pytest.fixture(scope="session")
def income(_intact_circuits: CircuitCatalog, _engine: wasmtime.Engine) -> Circuit:
    return _load(_intact_circuits, _engine, "income")


@pytest.fixture(scope="session")
def credit_history(_intact_circuits: CircuitCatalog, _engine: wasmtime.Engine) -> Circuit:
    return _load(_intact_circuits, _engine, "credit_history")


@pytest.fixture(scope="session")
def collateral(_intact_circuits: CircuitCatalog, _engine: wasmtime.Engine) -> Circuit:
    return _load(_intact_circuits, _engine, "collateral")


@pytest.fixture(scope="session")
def identity(_intact_circuits: CircuitCatalog, _engine: wasmtime.Engine) -> Circuit:
    return _load(_intact_circuits, _engine, "identity")


@pytest.fixture(scope="session")
def circuits(
    income: Circuit, credit_history: Circuit, collateral: Circuit, identity: Circuit
) -> dict[CredentialType, Circuit]:
    return {
        CredentialType.INCOME: income,
        CredentialType.CREDIT_HISTORY: credit_history,
        CredentialType.COLLATERAL: collateral,
        CredentialType.KYC: identity,
    }
