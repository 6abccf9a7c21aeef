"""Deployment configuration, development wallets and what production refuses."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account

from zkredit.chain.backends import ANVIL_MNEMONIC
from zkredit.chain.client import ChainClient
from zkredit.chain.config import (
    AgentSpec,
    development_config,
    production_config,
)
from zkredit.chain.connect import connect, resolve_sender
from zkredit.chain.errors import ChainError, UnsafeDeployment
from zkredit.chain.policy import OnChainPolicy
from zkredit.chain.safety import deployment_problems, require_safe
from zkredit.chain.wallets import agent_dev_wallet, read_dev_keys, write_dev_keys
from zkredit.domain.policy import DEFAULT_DENIED_JURISDICTIONS
from zkredit.errors import ConfigurationError
from zkredit.issuers.registry import IssuerRegistry
from zkredit.scenarios import JOHN, SAMUEL, demo_issuer_keys, demo_kyc_tree, demo_registry
from zkredit.settings import Environment, Settings, load_settings

OWN_KEY = Account.from_key("0x" + "5a" * 32)


def _settings(**chain: str) -> Settings:
    return load_settings(check=False, chain=chain, app={"data_dir": Path("/nonexistent")})


def test_development_config_matches_the_issue(settings: Settings, tmp_path: Path) -> None:
    tree = demo_kyc_tree()
    config = development_config(settings, demo_registry(tmp_path),
                                kyc_roots=(int(tree.root),))
    assert config.policy == OnChainPolicy.default("NGN")
    assert config.policy.policy.min_monthly_income_minor == 50_000_000
    assert config.deny_list == DEFAULT_DENIED_JURISDICTIONS
    assert config.issuers == demo_issuer_keys() and sorted(config.issuers) == [1, 2, 3, 4]
    assert tree.index_of(SAMUEL.subject) == 0 and tree.index_of(JOHN.subject) == 1
    assert config.kyc_roots == (int(tree.root),)
    assert [(a.name, a.uri) for a in config.agents] == [
        (name, f"http://127.0.0.1:{port}/.well-known/agent-card.json")
        for name, port in [("worker", 3001), ("credit", 3002), ("remittance", 3003),
                           ("receiver", 3004)]
    ]  # fmt: skip
    wallets = {a.wallet.address for a in config.agents if a.wallet}
    assert len(wallets) == 4 and config.with_zkusd and config.demo_material


def test_agent_ports_follow_the_settings() -> None:
    settings = load_settings(check=False, agents={"worker_port": 4101})
    config = development_config(settings, agent_host="10.0.0.5")
    assert config.agents[0].uri == "http://10.0.0.5:4101/.well-known/agent-card.json"


def test_dev_wallets_are_deterministic_and_their_keys_file_is_private(tmp_path: Path) -> None:
    assert agent_dev_wallet("worker").address == agent_dev_wallet("worker").address
    assert agent_dev_wallet("worker").address != agent_dev_wallet("credit").address
    wallets = {"worker": agent_dev_wallet("worker")}
    path = write_dev_keys(tmp_path, 1337, wallets)
    assert path.name == "1337.keys.json" and os.stat(path).st_mode & 0o777 == 0o600
    assert read_dev_keys(tmp_path, 1337)["worker"].address == wallets["worker"].address
    assert json.loads(path.read_text())["agents"]["worker"]["address"] == wallets["worker"].address
    assert read_dev_keys(tmp_path, 1) == {}


def test_production_refuses_development_material(settings: Settings, tmp_path: Path) -> None:
    dev = replace(development_config(settings, demo_registry(tmp_path)),
                  environment=Environment.PRODUCTION)
    Account.enable_unaudited_hdwallet_features()
    anvil0 = Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/0")
    problems = "\n".join(deployment_problems(dev, anvil0, "single-party-dev"))
    for expected in (
        "single-party-dev",
        "public development account",
        "label-derived (demo) issuer keys",
        "zkUSD",
        "derived development wallet",
        "uses derived development wallets",
        "funding agent wallets",
    ):
        assert expected in problems, expected
    with pytest.raises(UnsafeDeployment) as info:
        require_safe(dev, anvil0, "ceremony")
    assert info.value.hint and "--env development" in info.value.hint


def test_production_config_from_an_issuer_registry(settings: Settings, tmp_path: Path) -> None:
    registry = IssuerRegistry.open(tmp_path)  # freshly generated keys
    registry.kyc_provider().enroll(SAMUEL.subject)
    config = production_config(settings, Environment.PRODUCTION, registry)
    assert deployment_problems(config, OWN_KEY, "ceremony") == []
    assert config.kyc_provider is registry.kyc_provider() and not config.with_zkusd
    assert all(a.wallet is None for a in config.agents)
    zero = replace(config, issuers={1: [(0, 0)]})
    assert "zero point" in "\n".join(deployment_problems(zero, OWN_KEY, "ceremony"))
    deployer_wallet = replace(config, agents=[AgentSpec("worker", "http://x", OWN_KEY)])
    assert "zero or deployer wallet" in "\n".join(
        deployment_problems(deployer_wallet, OWN_KEY, "ceremony")
    )
    assert deployment_problems(replace(config, environment=Environment.DEVELOPMENT), OWN_KEY,
                               "single-party-dev") == []  # fmt: skip


def test_resolve_sender() -> None:
    client = ChainClient.embedded()
    key = "0x" + bytes(OWN_KEY.key).hex()
    assert resolve_sender(client, _settings(private_key=key)).address == OWN_KEY.address
    assert OWN_KEY.address in client.accounts
    dev = resolve_sender(client, _settings(), Environment.DEVELOPMENT)
    assert dev.address == client.dev_accounts()[0].address
    with pytest.raises(ConfigurationError, match="PRIVATE_KEY is not set"):
        resolve_sender(client, _settings(), Environment.PRODUCTION)
    with pytest.raises(ConfigurationError, match="not a hex"):
        resolve_sender(client, _settings(private_key="xyz"))


def test_connect_needs_a_node_unless_embedded_is_fine() -> None:
    settings = _settings()
    with pytest.raises(ChainError, match="no chain to use") as info:
        connect(settings)
    assert info.value.hint and "zkredit chain up" in info.value.hint
    assert connect(settings, embedded_ok=True).backend.name == "embedded"
