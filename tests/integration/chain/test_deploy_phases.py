"""``zkredit deploy --env test`` on anvil: its phases, a rerun that sends nothing, and a
failure in a late phase that rolls back what can be undone and names what cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from tests.conftest import ROOT
from zkredit.chain.backends import ANVIL_MNEMONIC
from zkredit.chain.client import ChainClient
from zkredit.chain.config import production_config
from zkredit.chain.contracts import PAUSER_ROLE
from zkredit.chain.deployment import Deployment
from zkredit.errors import ZKreditError
from zkredit.issuers.registry import IssuerRegistry
from zkredit.keystore import Keystore
from zkredit.ops.deploy import PHASES, DeployFailed, DeployManager
from zkredit.settings import Environment, load_settings

pytestmark = [pytest.mark.slow, pytest.mark.anvil]

PASSWORD = "deploy phases keystore password"


def _deployer() -> Account:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/0")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for agent in ("worker", "credit", "remittance", "receiver"):
        Keystore(tmp_path / "keystores").create(agent, PASSWORD)
    IssuerRegistry.open(tmp_path / "issuers")
    return tmp_path


def _env(home: Path, rpc_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "ZKREDIT_DATA_DIR": str(home / "data"),
            "ZKREDIT_DEPLOYMENTS_DIR": str(home / "deployments"),
            "ZKREDIT_KEYSTORE_DIR": str(home / "keystores"),
            "ZKREDIT_KEYSTORE_PASSWORD": PASSWORD, "CHAIN_ID": "1337", "DATABASE_URL": "",
            "REDIS_URL": "", "RPC_URL": rpc_url,
            "PRIVATE_KEY": "0x" + bytes(_deployer().key).hex()}


def test_deploy_reports_phases_and_a_rerun_sends_no_transaction(home: Path, anvil_url: str
                                                                 ) -> None:
    args = [sys.executable, "-m", "zkredit.cli.main", "deploy", "--env", "test", "--json",
            "--issuers-dir", str(home / "issuers")]
    runs = []
    for _ in range(2):
        done = subprocess.run(args, env=_env(home, anvil_url), cwd=home, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    first, second = runs
    assert [p["name"] for p in first["phases"]] == list(PHASES)
    assert all(p["status"] == "ok" and p["seconds"] >= 0 for p in first["phases"])
    assert first["changed"] and first["transactions"] > 20
    assert second["transactions"] == 0 and not second["changed"], second
    record = json.loads((home / "deployments" / "1337.json").read_text())
    wallets = Keystore(home / "keystores").addresses()
    assert {n: a["wallet"] for n, a in record["agents"].items()} == wallets
    assert set(record["roles"]["anchorer"]) >= set(wallets.values())
    assert "privateKey" not in json.dumps(record)


def test_a_failed_late_phase_rolls_back_role_grants_and_leaves_the_record(
        home: Path, anvil_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _env(home, anvil_url).items():
        monkeypatch.setenv(key, value)
    settings = load_settings(check=False, env="test")
    client = ChainClient.connect(anvil_url)
    deployer = client.add_account(_deployer())
    pauser = Account.create().address
    wallets = {n: Keystore(home / "keystores").unlock(n, PASSWORD)
               for n in ("worker", "credit", "remittance", "receiver")}
    config = production_config(settings, Environment.TEST,
                               IssuerRegistry.open(home / "issuers"), wallets=wallets,
                               roles={"pauser": [pauser]})
    manager = DeployManager(settings, client, deployer, config, home / "deployments")

    def broken() -> list[str]:
        raise ZKreditError("the agent registry is unreachable (injected)")

    monkeypatch.setattr(manager, "_agents", broken)
    with pytest.raises(DeployFailed, match="deploy phase 'agents' failed") as info:
        manager.run()
    run = info.value.run
    status = {p.name: p.status for p in run.phases}
    assert status == {"preflight": "ok", "circuits": "ok", "contracts": "ok", "roles": "ok",
                      "migrations": "ok", "agents": "failed", "validation": "not run"}
    assert any(f"PAUSER_ROLE on ZKCreditVerifier from {pauser}" in r for r in run.rolled_back)
    assert any("contracts cannot be removed" in n for n in run.not_undone)
    assert any("forward-only" in n for n in run.not_undone)
    assert not (home / "deployments" / "1337.json").exists()
    deployment = manager._deployment
    assert deployment is not None
    zk = deployment.system(client).zk
    assert not zk.has_role(PAUSER_ROLE, pauser)  # revoked on chain, not just reported
    assert Deployment.load_optional(home / "deployments", client.chain_id) is None
