"""Shared fixtures. External tools and services skip with a visible reason, except in CI
(``CI=true``), where a missing tool is a failure: CI must run every tier."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zkredit.bootstrap import build_catalog
from zkredit.domain.policy import CreditPolicy
from zkredit.scenarios import SAMUEL, example_context, statements
from zkredit.settings import Settings, load_settings
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import Statement
from zkredit.zk.toolchain import NodeTools

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, or fail in CI where nothing may be skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(check=False)


@pytest.fixture(scope="session")
def catalog(settings: Settings) -> CircuitCatalog:
    return build_catalog(settings)


@pytest.fixture(scope="session")
def backend(catalog: CircuitCatalog) -> Groth16pyBackend:
    b = Groth16pyBackend(catalog)
    b.warm()
    return b


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    require(NodeTools.available(), "node or the npm tools are not installed (run `make setup`)")
    return NodeTools.find()


@pytest.fixture(scope="session")
def samuel_statements() -> dict[str, Statement]:
    """Scenario 2's four true statements on the example date."""
    stmts = statements(SAMUEL, CreditPolicy.default_for("NGN"), example_context())
    for s in stmts.values():
        s.require_true()
    return stmts


@pytest.fixture
def tmp_keys(tmp_path: Path, catalog: CircuitCatalog) -> Iterator[CircuitCatalog]:
    """A writable copy of circuits/ (sources, manifest, keys) for tamper tests."""
    import shutil

    dst = tmp_path / "circuits"
    shutil.copytree(catalog.circuits_dir, dst, ignore=shutil.ignore_patterns("*.ptau"))
    yield CircuitCatalog.load(dst / "circuits.json")
