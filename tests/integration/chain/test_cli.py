"""The chain commands end to end on a node started by ``zkredit chain up``.

``application inputs`` → ``zkredit prove`` ×4 → ``zkredit attest`` produces an
attestation; attesting the same proofs again fails with the nullifier error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.chain.conftest import anvil_available
from tests.unit.chain.cli import zkredit
from zkredit.chain.backends import ANVIL_MNEMONIC
from zkredit.chain.client import ChainClient
from zkredit.chain.errors import NodeUnavailable
from zkredit.chain.node import AnvilNode, free_port
from zkredit.cli.output import ExitStatus

pytestmark = pytest.mark.anvil

CIRCUITS = ("income", "credit_history", "collateral", "identity")


@dataclass(frozen=True)
class Node:
    env: dict[str, str]
    url: str


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for one test: its own data dir, no RPC_URL or key from outside."""
    return {
        "ZKREDIT_DATA_DIR": str(data_dir),
        "RPC_URL": "",
        "PRIVATE_KEY": "",
        "ZKREDIT_ENV": "development",
        **extra,
    }


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    ok, reason = anvil_available()
    require(ok, reason)
    env = _env(tmp_path_factory.mktemp("data"))
    r = zkredit("chain", "up", "--port", str(free_port()), env=env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip().splitlines()[-1]
    yield Node(env, url)
    zkredit("chain", "down", env=env)


@pytest.fixture(scope="module")
def deployments(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("deployments")
    r = zkredit("deploy", "--env", "development", "--deployments-dir", str(directory), env=node.env)
    assert r.returncode == 0, r.stderr
    assert "deployed" in r.stdout and (directory / "1337.json").is_file()
    return directory


def test_chain_up_twice_and_status(node: Node) -> None:
    port = node.url.rsplit(":", 1)[1]
    again = zkredit("chain", "up", "--port", port, env=node.env)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr and again.stdout.strip() == node.url
    status = zkredit("chain", "status", "--json", env=node.env)
    data = json.loads(status.stdout)
    assert (data["running"], data["url"], data["chainId"]) == (True, node.url, 1337)


def test_chain_down_stops_the_node(tmp_path: Path) -> None:
    ok, reason = anvil_available()
    require(ok, reason)
    env = _env(tmp_path)
    up = zkredit("chain", "up", "--port", str(free_port()), env=env)
    assert up.returncode == 0, up.stderr
    node = AnvilNode(tmp_path / "chain")
    info = node.info()
    assert info is not None and info.url == up.stdout.strip()
    down = zkredit("chain", "down", env=env)
    assert down.returncode == 0 and f"stopped anvil (pid {info.pid})" in down.stdout, down.stderr
    assert node.info() is None and not node.info_path.exists()
    with pytest.raises(NodeUnavailable):
        ChainClient.connect(info.url)


def test_second_deploy_changes_nothing_and_check_passes(node: Node, deployments: Path) -> None:
    again = zkredit("deploy", "--deployments-dir", str(deployments), env=node.env)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    check = zkredit("deploy", "--check", "--deployments-dir", str(deployments), env=node.env)
    assert check.returncode == 0, check.stderr
    assert "match the artifacts" in check.stdout


def test_check_names_a_mismatch(node: Node, deployments: Path, tmp_path: Path) -> None:
    record = json.loads((deployments / "1337.json").read_text())
    contracts = record["contracts"]
    contracts["IncomeVerifier"]["address"] = contracts["CollateralVerifier"]["address"]
    (tmp_path / "1337.json").write_text(json.dumps(record))
    check = zkredit("deploy", "--check", "--deployments-dir", str(tmp_path), env=node.env)
    assert check.returncode != 0
    assert "IncomeVerifier at" in check.stderr and "the artifact" in check.stderr


@pytest.mark.slow
def test_inputs_prove_attest_then_replay_fails(
    node: Node, deployments: Path, tmp_path: Path
) -> None:
    work = tmp_path / "application"
    made = zkredit(
        "application", "inputs", "--out", str(work), "--deployments-dir", str(deployments),
        env=node.env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    commands = made.stdout.strip().splitlines()
    assert len(commands) == 4
    for line in commands:
        args = line.split()
        assert args[0] == "zkredit"
        proved = zkredit(*args[1:], env=node.env)
        assert proved.returncode == 0, proved.stderr
    attest = ("attest", "--dir", str(work), "--deployments-dir", str(deployments))
    first = zkredit(*attest, "--json", env=node.env)
    assert first.returncode == 0, first.stderr
    attestation = json.loads(first.stdout)
    assert (attestation["tier"], attestation["limit"]) == (2, 250_000_000)
    replay = zkredit(*attest, env=node.env)
    assert replay.returncode == ExitStatus.ERROR
    assert "ZKCredit__ActiveAttestation" in replay.stderr
    assert "already has an active attestation" in replay.stderr


def test_production_deploy_refuses_development_material(node: Node, tmp_path: Path) -> None:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    anvil_key = Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/0").key
    env = {**node.env, "PRIVATE_KEY": "0x" + bytes(anvil_key).hex()}
    r = zkredit("deploy", "--env", "production", "--deployments-dir", str(tmp_path), env=env)
    assert r.returncode == ExitStatus.CONFIG_ERROR, r.stderr
    assert "public development account" in r.stderr
    assert "no issuer keys" in r.stderr
    assert not (tmp_path / "1337.json").exists()
    unset = zkredit("deploy", "--env", "production", "--deployments-dir", str(tmp_path),
                    env=node.env)  # fmt: skip
    assert unset.returncode == ExitStatus.CONFIG_ERROR
    assert "PRIVATE_KEY is not set" in unset.stderr
