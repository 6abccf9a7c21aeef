"""Single-party development keys: usable in development only, and every proof is marked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import groth16py
import pytest

from zkredit.bootstrap import ZKServices
from zkredit.errors import ConfigurationError
from zkredit.settings import load_settings
from zkredit.zk.ceremony import dev_setup
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.statements import Statement


@pytest.fixture(scope="module")
def dev_keys(tmp_path_factory: pytest.TempPathFactory, catalog: CircuitCatalog) -> Path:
    """Dev keys for one circuit (setup_circom takes ~8 s per circuit)."""
    root = tmp_path_factory.mktemp("dev")
    shutil.copytree(catalog.circuits_dir / "src", root / "src")
    spec = json.loads((catalog.circuits_dir / "circuits.json").read_text())
    (root / "circuits.json").write_text(json.dumps({"credit_history": spec["credit_history"]}))
    one = CircuitCatalog(root, catalog.keys_dir, {"credit_history": catalog.get("credit_history")})
    manifest = dev_setup(one, root / "keys", Path(groth16py.circomlib_path(2)))
    assert manifest["setup"] == "single-party-dev"
    return root


def _use(monkeypatch: pytest.MonkeyPatch, root: Path, env: str) -> ZKServices:
    monkeypatch.setenv("ZKREDIT_ENV", env)
    monkeypatch.setenv("ZK_ZKEY_PATH", str(root / "keys"))
    monkeypatch.setenv("ZK_CIRCUITS_MANIFEST", str(root / "circuits.json"))
    return ZKServices.build(load_settings(check=False))


@pytest.mark.slow
def test_dev_keys_prove_in_development_and_mark_the_proof(
    dev_keys: Path, monkeypatch: pytest.MonkeyPatch, samuel_statements: dict[str, Statement]
) -> None:
    zk = _use(monkeypatch, dev_keys, "development")
    assert zk.integrity_ok, zk.integrity_problems
    proof = zk.prover().prove("credit_history", samuel_statements["credit_history"].inputs)
    assert proof.setup == "single-party-dev"
    assert proof.snarkjs_proof()["zkredit_setup"] == "single-party-dev"
    assert zk.prover().verify(proof)


@pytest.mark.slow
@pytest.mark.parametrize("env", ["test", "staging", "production"])
def test_dev_keys_refused_outside_development(
    dev_keys: Path, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    zk = _use(monkeypatch, dev_keys, env)
    with pytest.raises(ConfigurationError, match="single-party development setup"):
        zk.prover()


def test_ceremony_proofs_are_not_marked(samuel_statements: dict[str, Statement]) -> None:
    from zkredit.zk.proof import Proof

    p = Proof((1, 2), ((3, 4), (5, 6)), (7, 8), (9,), "income")
    assert "zkredit_setup" not in p.snarkjs_proof()
    assert Proof.from_json(p.marked("single-party-dev").to_json()).setup == "single-party-dev"
