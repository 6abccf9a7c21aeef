"""Committed contract artifacts are exactly what the sources and keys produce."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .chain import ARTIFACTS, ROOT, load_tool, require

MAX_RUNTIME_SIZE = 24576  # EIP-170
BUILD = ROOT / "tools" / "contracts" / "build.mjs"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*.json"))
    }


@pytest.mark.node
def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    require(shutil.which("node") is not None, "node is not installed")
    require((ROOT / "node_modules" / "solc").is_dir(), "node_modules is missing (run npm ci)")
    out = tmp_path / "artifacts"
    subprocess.run(["node", str(BUILD), "--out", str(out), "--quiet"], check=True, cwd=ROOT)
    committed, rebuilt = _files(ARTIFACTS), _files(out)
    assert sorted(rebuilt) == sorted(committed), (
        "artifact set differs; run node tools/contracts/build.mjs"
    )
    for name, data in rebuilt.items():
        assert data == committed[name], f"{name} is stale; run node tools/contracts/build.mjs"


def test_manifest_hashes_match() -> None:
    manifest = json.loads((ARTIFACTS / "MANIFEST.json").read_text())
    assert manifest["compiler"]["version"].startswith("0.8.28+")
    for rel, digest in manifest["artifacts"].items():
        assert _sha256(ARTIFACTS / rel) == digest, rel
    on_disk = {p.relative_to(ARTIFACTS).as_posix() for p in ARTIFACTS.rglob("*.json")} - {
        "MANIFEST.json"
    }
    assert on_disk == set(manifest["artifacts"])
    for unit, digest in manifest["sources"].items():
        path = ROOT / "node_modules" / unit if unit.startswith("@openzeppelin/") else ROOT / unit
        assert _sha256(path) == digest, f"{unit} changed since the last build"
    ours = {
        p.relative_to(ROOT).as_posix()
        for d in ("src", "test")
        for p in (ROOT / "contracts" / d).rglob("*.sol")
    }
    assert ours <= set(manifest["sources"]), ours - set(manifest["sources"])


def test_artifact_settings_and_sizes() -> None:
    for path in ARTIFACTS.rglob("*.json"):
        if path.name == "MANIFEST.json":
            continue
        art = json.loads(path.read_text())
        settings = art["compiler"]["settings"]
        assert settings["evmVersion"] == "cancun"
        assert settings["optimizer"] == {"enabled": True, "runs": 200}
        assert settings["metadata"]["bytecodeHash"] == "none"
        size = (len(art["deployedBytecode"]) - 2) // 2
        assert 0 < size <= MAX_RUNTIME_SIZE, f"{art['contractName']}: {size} bytes"
        pragma = (ROOT / art["sourceName"]).read_text()
        assert "pragma solidity 0.8.28;" in pragma, art["sourceName"]


def test_generated_verifiers_match_keys() -> None:
    keys = ROOT / "circuits" / "keys"
    gen = load_tool("gen_verifiers")
    if not all((keys / f"{spec.name}.vkey.json").is_file() for spec in gen.CIRCUITS):
        pytest.skip("circuits/keys/*.vkey.json do not exist yet (key ceremony not committed)")
    out = ROOT / "contracts" / "src" / "verifiers"
    for path, source in gen.generate(keys, out).items():
        assert path.is_file(), (
            f"{path.name} missing; run .venv/bin/python tools/contracts/gen_verifiers.py"
        )
        assert path.read_text() == source, (
            f"{path.name} is stale; run tools/contracts/gen_verifiers.py"
        )


def test_batched_keys_require_one_ceremony(tmp_path: Path) -> None:
    """Keys from separate setups (different alpha) must not yield a batch verifier."""
    keys = ROOT / "circuits" / "keys"
    gen = load_tool("gen_verifiers")
    if not all((keys / f"{spec.name}.vkey.json").is_file() for spec in gen.CIRCUITS):
        pytest.skip("circuits/keys/*.vkey.json do not exist yet")
    for spec in gen.CIRCUITS:
        shutil.copy(keys / f"{spec.name}.vkey.json", tmp_path)
    vk = json.loads((tmp_path / "identity.vkey.json").read_text())
    vk["vk_alpha_1"] = vk["IC"][0]
    (tmp_path / "identity.vkey.json").write_text(json.dumps(vk))
    with pytest.raises(gen.GenerationError, match="vk_alpha_1"):
        gen.render_batch_keys(tmp_path)
