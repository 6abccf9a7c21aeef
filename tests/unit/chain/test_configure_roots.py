"""``zkredit deploy`` re-attests a configured root whose publisher lost the provider role."""

from __future__ import annotations

from pathlib import Path

from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig
from zkredit.chain.contracts import KYC_PROVIDER_ROLE
from zkredit.chain.deployer import deploy

MOCK = "test/MockGroth16Verifier"
ROOT = 123_456_789


def test_a_root_unknown_after_a_key_rotation_is_reattested(tmp_path: Path) -> None:
    client = ChainClient.embedded()
    deployer = client.add_account(client.dev_accounts()[0])
    retired = client.accounts[5]
    config = DeployConfig(verifier_artifacts=(MOCK,) * 4, batch_artifact=None,
                          with_anchor=False)  # fmt: skip
    first = deploy(client, config, deployer, tmp_path)
    kyc = first.deployment.system(client, sender=deployer).kyc
    kyc.grant_role(KYC_PROVIDER_ROLE, retired)
    kyc.publish_root(ROOT, sender=retired)
    kyc.revoke_role(KYC_PROVIDER_ROLE, retired)  # its key rotated away: the root is unknown
    assert not kyc.is_known_root(ROOT)

    with_root = DeployConfig(verifier_artifacts=(MOCK,) * 4, batch_artifact=None,
                             with_anchor=False, kyc_roots=(ROOT,))  # fmt: skip
    report = deploy(client, with_root, deployer, tmp_path)
    assert report.changes == [f"published KYC root {str(ROOT)[:12]}…"]
    assert kyc.is_known_root(ROOT) and kyc.root_info(ROOT).provider == deployer.address
    assert deploy(client, with_root, deployer, tmp_path).changes == []
