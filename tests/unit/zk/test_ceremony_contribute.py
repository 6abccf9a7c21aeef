"""`zkredit ceremony contribute`: another party adds a phase-2 contribution (issue 7 §3).

A two-constraint circuit on a power-4 ptau stands in for the real circuits (whose
contributions take about a minute each); the contribution, its entropy path and the
chain check are the product's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zkredit.errors import ZKError
from zkredit.zk.ceremony import contribute, verify_zkey
from zkredit.zk.manifest import sha256_file
from zkredit.zk.toolchain import NodeTools

pytestmark = pytest.mark.node

TINY = """pragma circom 2.1.6;
template Tiny() { signal input a; signal input b; signal output c; signal d;
  d <== a * b; c <== d * a; }
component main = Tiny();
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, node_tools: NodeTools) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tiny")
    (d / "tiny.circom").write_text(TINY)
    node_tools.circom(d / "tiny.circom", "--r1cs", "--O2", "-o", d)
    sj = node_tools.snarkjs
    sj("powersoftau", "new", "bn128", "4", d / "raw.ptau")
    # A phase 1 with no contribution has tau = 1 (every power alike), on which
    # `zkey verify` fails at random ("H section does not match"): contribute once.
    sj("powersoftau", "contribute", d / "raw.ptau", d / "c1.ptau", "--name=t",
       input="phase-1 test entropy\n")
    sj("powersoftau", "prepare", "phase2", d / "c1.ptau", d / "pot4.ptau")
    sj("groth16", "setup", d / "tiny.r1cs", d / "pot4.ptau", d / "tiny_0000.zkey")
    return {"r1cs": d / "tiny.r1cs", "ptau": d / "pot4.ptau", "zkey": d / "tiny_0000.zkey"}


def test_a_contribution_extends_the_chain_and_its_hash_is_listed_by_verify(
        tiny: dict[str, Path], node_tools: NodeTools, tmp_path: Path) -> None:
    first = contribute(node_tools, tiny["zkey"], tmp_path / "tiny_0001.zkey", "Ana Reyes")
    second = contribute(node_tools, tmp_path / "tiny_0001.zkey", tmp_path / "tiny_0002.zkey",
                        "Juan Cruz", extra_entropy="typed at random\nby juan")

    check = verify_zkey(node_tools, "tiny", tiny["r1cs"], tiny["ptau"],
                        tmp_path / "tiny_0002.zkey")
    assert check.ok, check.error
    assert [(c["name"], c["hash"]) for c in check.contributions] == [
        ("Ana Reyes", first.hash), ("Juan Cruz", second.hash)]
    assert len(first.hash) == 128 and first.hash != second.hash
    assert first.input_sha256 == sha256_file(tiny["zkey"])
    assert second.output_sha256 == sha256_file(tmp_path / "tiny_0002.zkey")
    assert not list(tmp_path.glob("*.partial*"))


def test_two_contributions_from_one_file_differ(tiny: dict[str, Path], node_tools: NodeTools,
                                               tmp_path: Path) -> None:
    a = contribute(node_tools, tiny["zkey"], tmp_path / "a.zkey", "same name")
    b = contribute(node_tools, tiny["zkey"], tmp_path / "b.zkey", "same name")
    assert a.hash != b.hash  # fresh os.urandom entropy each time


def test_a_contribution_never_overwrites_and_needs_its_input(
        tiny: dict[str, Path], node_tools: NodeTools, tmp_path: Path) -> None:
    taken = tmp_path / "taken.zkey"
    taken.write_bytes(b"someone's contribution")
    with pytest.raises(ZKError, match="already exists"):
        contribute(node_tools, tiny["zkey"], taken, "Ana")
    assert taken.read_bytes() == b"someone's contribution"
    with pytest.raises(ZKError, match="no zkey at"):
        contribute(node_tools, tmp_path / "missing.zkey", tmp_path / "out.zkey", "Ana")
    with pytest.raises(ZKError, match="one-line --name"):
        contribute(node_tools, tiny["zkey"], tmp_path / "out.zkey", "two\nlines")


def test_cli_takes_entropy_on_stdin_never_argv_and_prints_the_hash(
        tiny: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "mine.zkey"
    secret = "my-very-own-entropy-words-7d1f"
    r = subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "ceremony", "contribute", str(tiny["zkey"]),
         str(out), "--name", "Ana Reyes", "--entropy-stdin", "--json"],
        input=secret, cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["name"] == "Ana Reyes" and len(got["hash"]) == 128
    assert got["output_sha256"] == sha256_file(out)
    assert secret not in r.stdout + r.stderr


def test_cli_help_teaches_how_to_join() -> None:
    r = subprocess.run([sys.executable, "-m", "zkredit.cli.main", "ceremony", "contribute",
                        "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "COLUMNS": "200"})
    assert r.returncode == 0
    assert "never passed on a command line" in r.stdout and "--entropy-stdin" in r.stdout


def test_cli_refuses_an_unknown_circuit_before_contributing(tiny: dict[str, Path],
                                                            tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "ceremony", "contribute", str(tiny["zkey"]),
         str(tmp_path / "x.zkey"), "--name", "Ana", "--circuit", "payroll"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "200"})
    assert r.returncode == 2 and "unknown circuit 'payroll'" in r.stderr
    assert not (tmp_path / "x.zkey").exists()
