"""The zkredit CLI as a user runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zkredit.cli.output import ExitStatus
from zkredit.scenarios import demo_issuer
from zkredit.zk.credentials import SignedCredential, identity_commitment
from zkredit.zk.toolchain import NodeTools

EXAMPLES = ROOT / "circuits" / "examples"


def zkredit(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture(scope="module")
def proved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("proof")
    r = zkredit(
        "prove",
        "collateral",
        "--input",
        str(EXAMPLES / "collateral.input.json"),
        "--out",
        str(d / "proof.json"),
        "--public",
        str(d / "public.json"),
        "--calldata",
        str(d / "calldata.txt"),
    )
    assert r.returncode == 0, r.stderr
    return d


@pytest.mark.slow
def test_prove_then_verify_exit_zero(proved: Path) -> None:
    r = zkredit("verify", "collateral", str(proved / "proof.json"), str(proved / "public.json"))
    assert r.returncode == ExitStatus.SUCCESS, r.stderr
    assert "valid" in r.stdout
    assert (proved / "calldata.txt").read_text().startswith('["0x')


@pytest.mark.slow
def test_mutated_public_signal_exits_proof_invalid(proved: Path, tmp_path: Path) -> None:
    public = json.loads((proved / "public.json").read_text())
    for i in range(len(public)):
        forged = list(public)
        forged[i] = str(int(forged[i]) + 1)
        (tmp_path / "public.json").write_text(json.dumps(forged))
        r = zkredit(
            "verify", "collateral", str(proved / "proof.json"), str(tmp_path / "public.json")
        )
        assert r.returncode == ExitStatus.PROOF_INVALID, (i, r.stderr)
        assert "Error: the collateral proof is INVALID" in r.stderr


@pytest.mark.slow
@pytest.mark.node
def test_cli_proof_checks_with_snarkjs(proved: Path, node_tools: NodeTools) -> None:
    vkey = ROOT / "circuits" / "keys" / "collateral.vkey.json"
    out = node_tools.snarkjs(
        "groth16", "verify", vkey, proved / "public.json", proved / "proof.json"
    )
    assert "OK!" in out
    public = json.loads((proved / "public.json").read_text())
    public[1] = str(int(public[1]) + 1)
    forged = proved / "forged.json"
    forged.write_text(json.dumps(public))
    r = subprocess.run(
        [
            node_tools.node,
            str(node_tools.snarkjs_cli),
            "groth16",
            "verify",
            str(vkey),
            str(forged),
            str(proved / "proof.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Invalid proof" in r.stdout + r.stderr


def test_verify_bad_input_exit_code(tmp_path: Path) -> None:
    (tmp_path / "proof.json").write_text("{not json")
    (tmp_path / "public.json").write_text("[]")
    r = zkredit("verify", "income", str(tmp_path / "proof.json"), str(tmp_path / "public.json"))
    assert r.returncode == ExitStatus.BAD_INPUT
    assert r.stderr.startswith("Error:")
    r = zkredit("verify", "incom", "a", "b")
    assert r.returncode == ExitStatus.BAD_INPUT
    assert "Did you mean 'income'" in r.stderr


def test_prove_false_statement_is_a_clear_error(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "credit_history.input.json").read_text())
    data["minScore"] = "800"
    (tmp_path / "in.json").write_text(json.dumps(data))
    r = zkredit(
        "prove",
        "credit_history",
        "--input",
        str(tmp_path / "in.json"),
        "--out",
        str(tmp_path / "p.json"),
        "--public",
        str(tmp_path / "pub.json"),
    )
    assert r.returncode == ExitStatus.BAD_INPUT
    assert "circuit rejected the inputs" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "p.json").exists()


def test_traceback_flag_shows_traceback(tmp_path: Path) -> None:
    r = zkredit("--traceback", "prove", "income", "--input", str(tmp_path / "missing.json"))
    assert r.returncode == ExitStatus.BAD_INPUT
    assert "Traceback" in r.stderr


def test_credential_issue_round_trip(tmp_path: Path) -> None:
    key = demo_issuer("bureau")
    (tmp_path / "bureau.key").write_text(key.to_hex())
    subject = identity_commitment(12345)
    r = zkredit(
        "credential",
        "issue",
        "--type",
        "credit_history",
        "--subject",
        str(subject),
        "--key",
        f"@{tmp_path / 'bureau.key'}",
        "-a",
        "score=745",
        "-a",
        "historyMonths=48",
        "-a",
        "defaults=0",
        "-a",
        "latePayments=1",
        "-a",
        "debtRatioBps=2500",
    )
    assert r.returncode == 0, r.stderr
    signed = SignedCredential.from_json(r.stdout)
    assert signed.is_valid()
    assert signed.issuer == key.public
    assert signed.credential.get("score") == 745


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("score=-5", "must not be negative"),
        ("score=18446744073709551616", "below 2^16"),
        ("score=7.5", "must be an integer"),
    ],
)
def test_credential_issue_rejects_bad_values(tmp_path: Path, attr: str, message: str) -> None:
    (tmp_path / "k").write_text(demo_issuer("bureau").to_hex())
    r = zkredit(
        "credential",
        "issue",
        "--type",
        "credit_history",
        "--subject",
        "1",
        "--key",
        f"@{tmp_path / 'k'}",
        "-a",
        attr,
        "-a",
        "historyMonths=48",
        "-a",
        "defaults=0",
        "-a",
        "latePayments=1",
        "-a",
        "debtRatioBps=2500",
    )
    assert r.returncode == ExitStatus.BAD_INPUT
    assert message in r.stderr


def test_circuits_verify_passes_and_names_a_tampered_file(tmp_path: Path) -> None:
    r = zkredit("circuits", "verify", "--no-snarkjs")
    assert r.returncode == 0, r.stderr
    import shutil

    circuits = tmp_path / "circuits"
    shutil.copytree(ROOT / "circuits", circuits, ignore=shutil.ignore_patterns("*.ptau"))
    vkey = circuits / "keys" / "income.vkey.json"
    vkey.write_bytes(vkey.read_bytes().replace(b"1", b"2", 1))
    env = {
        "ZK_ZKEY_PATH": str(circuits / "keys"),
        "ZK_CIRCUITS_MANIFEST": str(circuits / "circuits.json"),
    }
    r = zkredit("circuits", "verify", "--no-snarkjs", env=env)
    assert r.returncode == ExitStatus.ARTIFACT_MISMATCH
    assert "income.vkey.json" in r.stderr


def test_circuits_list_and_info() -> None:
    r = zkredit("circuits", "list")
    assert r.returncode == 0
    for name in ("income", "credit_history", "collateral", "identity"):
        assert name in r.stdout
    r = zkredit("circuits", "info", "identity")
    assert "kycRoot" in r.stdout and "sha256" in r.stdout


def test_help_teaches() -> None:
    r = zkredit("prove", "--help")
    assert r.returncode == 0
    assert "Example" in r.stdout and "--input" in r.stdout
