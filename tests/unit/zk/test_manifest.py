"""Committed artifacts match their sources and the sha256 manifest."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pytest

from zkredit.bootstrap import ZKServices
from zkredit.errors import ArtifactError, UnknownCircuitError
from zkredit.settings import load_settings
from zkredit.zk.ceremony import compile_circuit
from zkredit.zk.manifest import CircuitCatalog, sha256_file
from zkredit.zk.toolchain import NodeTools


def test_committed_keys_match_manifest(catalog: CircuitCatalog) -> None:
    assert catalog.verify() == []
    manifest = catalog.require_intact()
    assert manifest["setup"] == "ceremony"
    assert manifest["phase2"]["contributions"] >= 2
    assert set(manifest["circuits"]) == set(catalog.names())


def test_transcript_records_every_contribution(catalog: CircuitCatalog) -> None:
    transcript = json.loads((catalog.keys_dir / "transcript.json").read_text())
    manifest = catalog.read_manifest()
    assert manifest["transcript_sha256"] == sha256_file(catalog.keys_dir / "transcript.json")
    for name in catalog.names():
        steps = [e for e in transcript if e.get("circuit") == name]
        assert [s["step"] for s in steps] == ["contribution 1", "contribution 2", "beacon"]
        for s in steps:
            assert s["hashes"] and all(len(h) == 128 for h in s["hashes"])
    assert [e["step"] for e in transcript if e["phase"] == 1] == [
        "new",
        "contribution 1",
        "contribution 2",
        "beacon",
    ]


def test_manifest_constraint_counts_match_r1cs(catalog: CircuitCatalog) -> None:
    for spec in catalog:
        raw = catalog.artifact_path(spec.name, "r1cs").read_bytes()
        # r1cs header section: n8, prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints
        assert raw[:4] == b"r1cs"
        pos = 12
        while True:
            stype = int.from_bytes(raw[pos : pos + 4], "little")
            size = int.from_bytes(raw[pos + 4 : pos + 12], "little")
            if stype == 1:
                h = pos + 12
                n8 = int.from_bytes(raw[h : h + 4], "little")
                fields = raw[h + 4 + n8 :]
                ints = [int.from_bytes(fields[i * 4 : i * 4 + 4], "little") for i in range(4)]
                n_out, n_pub = ints[1], ints[2]
                n_constraints = int.from_bytes(fields[24:28], "little")
                break
            pos += 12 + size
        assert n_constraints == spec.constraints
        assert n_out + n_pub == spec.n_public
        assert spec.constraints <= 1 << 16


@pytest.mark.parametrize("kind", ["zkey", "vkey", "wasm", "r1cs"])
def test_one_changed_byte_is_named(tmp_keys: CircuitCatalog, kind: str) -> None:
    path = tmp_keys.artifact_path("income", kind)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = tmp_keys.verify()
    assert problems == [f"{path}: sha256 does not match MANIFEST.json"]
    with pytest.raises(ArtifactError, match=path.name):
        tmp_keys.require_intact()


def test_changed_source_is_named(tmp_keys: CircuitCatalog) -> None:
    src = tmp_keys.circuits_dir / "src" / "lib" / "safe_comparators.circom"
    src.write_text(src.read_text() + "\n// edited\n")
    assert any("safe_comparators.circom" in p for p in tmp_keys.verify())


def test_uncovered_source_is_named(tmp_keys: CircuitCatalog) -> None:
    (tmp_keys.circuits_dir / "src" / "lib" / "extra.circom").write_text("pragma circom 2.1.0;\n")
    assert any("extra.circom" in p and "not covered" in p for p in tmp_keys.verify())


def test_tampered_keys_disable_proving(
    tmp_keys: CircuitCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_keys.artifact_path("identity", "zkey")
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    monkeypatch.setenv("ZK_ZKEY_PATH", str(tmp_keys.keys_dir))
    monkeypatch.setenv("ZK_CIRCUITS_MANIFEST", str(tmp_keys.circuits_dir / "circuits.json"))
    zk = ZKServices.build(load_settings(check=False))
    assert zk.integrity_ok is False
    with pytest.raises(ArtifactError, match=r"identity\.zkey"):
        zk.prover()


def test_unknown_circuit_suggests_a_name(catalog: CircuitCatalog) -> None:
    with pytest.raises(UnknownCircuitError, match="Did you mean 'income'"):
        catalog.get("incme")


@pytest.mark.slow
@pytest.mark.node
def test_sources_recompile_to_the_committed_r1cs_and_wasm(
    catalog: CircuitCatalog, node_tools: NodeTools
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in catalog.names():
            compile_circuit(node_tools, catalog, name, Path(tmp))
            r1cs = Path(tmp) / f"{name}.r1cs"
            wasm = Path(tmp) / f"{name}_js" / f"{name}.wasm"
            entry = catalog.read_manifest()["circuits"][name]
            assert sha256_file(r1cs) == entry["r1cs"], f"{name}.r1cs does not rebuild"
            assert sha256_file(wasm) == entry["wasm"], f"{name}.wasm does not rebuild"


@pytest.mark.slow
@pytest.mark.node
def test_snarkjs_zkey_verify_accepts_committed_key(
    catalog: CircuitCatalog, node_tools: NodeTools
) -> None:
    ptau = catalog.keys_dir / catalog.read_manifest()["ptau"]["file"]
    out = node_tools.snarkjs(
        "zkey",
        "verify",
        catalog.artifact_path("collateral", "r1cs"),
        ptau,
        catalog.artifact_path("collateral", "zkey"),
    )
    assert "ZKey Ok!" in out


@pytest.mark.slow
@pytest.mark.node
def test_exported_vkey_matches_zkey(catalog: CircuitCatalog, node_tools: NodeTools) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in catalog.names():
            out = Path(tmp) / f"{name}.json"
            node_tools.snarkjs(
                "zkey", "export", "verificationkey", catalog.artifact_path(name, "zkey"), out
            )
            assert json.loads(out.read_text()) == json.loads(
                catalog.artifact_path(name, "vkey").read_text()
            )


def test_ptau_is_committed_and_hashed(catalog: CircuitCatalog) -> None:
    ptau = catalog.read_manifest()["ptau"]
    path = catalog.keys_dir / ptau["file"]
    assert path.stat().st_size < 20 * 1024 * 1024
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ptau["sha256"]
