"""Deploying with an issuer registry: its keys are trusted and its KYC root published."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkredit.chain.client import ChainClient
from zkredit.chain.config import development_config
from zkredit.chain.deployer import deploy
from zkredit.chain.inputs import chain_inputs
from zkredit.errors import InputError
from zkredit.issuers.registry import IssuerRegistry
from zkredit.scenarios import JOHN, SAMUEL
from zkredit.settings import Settings


def test_registry_root_is_published_once_per_chain(tmp_path: Path, settings: Settings) -> None:
    registry = IssuerRegistry.open(tmp_path / "issuers")  # generated keys
    provider = registry.kyc_provider()
    provider.enroll(SAMUEL.subject)
    root = int(provider.tree.root)
    config = development_config(settings, registry)
    employer = registry.get("employer").public
    assert config.issuers[1] == [(employer.x, employer.y)]  # the registry's, nothing else

    first = ChainClient.embedded()
    deployer = first.add_account(first.dev_accounts()[0])
    report = deploy(first, config, deployer, tmp_path / "a")
    system = report.deployment.system(first)
    assert system.kyc.is_known_root(root)
    assert system.kyc.is_trusted_issuer(1, employer.x, employer.y)
    assert [p["root"] for p in provider.published] == [str(root)]
    assert str(root) in report.deployment.config["kycRoots"]
    assert deploy(first, config, deployer, tmp_path / "a").changes == []

    inputs = chain_inputs(system, deployer.address, applicant=SAMUEL, kyc_tree=provider.tree)
    assert inputs.kyc_root == root
    with pytest.raises(InputError, match="John Doe's identity commitment is not in"):
        chain_inputs(system, deployer.address, applicant=JOHN, kyc_tree=provider.tree)

    second = ChainClient.embedded()  # another chain: the same root is published there too
    deploy(second, config, second.add_account(second.dev_accounts()[0]), tmp_path / "b")
    assert len(provider.published) == 2
