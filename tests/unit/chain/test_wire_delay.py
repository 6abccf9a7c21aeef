"""Wiring through the credit registry's verifier delay: propose, wait, accept; reruns idle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zkredit.chain.check import check_deployment
from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig
from zkredit.chain.deployer import deploy
from zkredit.chain.deployment import CREDIT, ZKCREDIT

MOCK = "test/MockGroth16Verifier"
DELAY = 86_400


def test_a_new_verifier_is_proposed_then_accepted_after_the_delay(tmp_path: Path) -> None:
    client = ChainClient.embedded()
    deployer = client.add_account(client.dev_accounts()[0])
    config = DeployConfig(verifier_artifacts=(MOCK,) * 4, batch_artifact=None,
                          verifier_delay=DELAY, with_anchor=False)  # fmt: skip
    first = deploy(client, config, deployer, tmp_path)
    system = first.deployment.system(client)
    assert system.credit.verifier() == system.zk.address  # the first wiring lands at once
    assert system.credit.verifier_delay() == DELAY

    def sent() -> int:
        return int(client.w3.eth.get_transaction_count(deployer.address))

    # A new ZKCreditVerifier (another batch setting) behind the same credit registry.
    changed = replace(config, batch_artifact="ZKCreditBatchGroth16")
    proposed = deploy(client, changed, deployer, tmp_path)
    d = proposed.deployment
    assert d.contracts[CREDIT] == first.deployment.contracts[CREDIT]
    new_zk = d.address(ZKCREDIT)
    assert new_zk != first.deployment.address(ZKCREDIT)
    assert any(c.startswith(f"proposed ZKCreditVerifier {new_zk}") for c in proposed.changes)
    assert any("run `zkredit deploy` again" in c for c in proposed.changes)
    assert system.credit.verifier() == first.deployment.address(ZKCREDIT)
    pending = system.credit.pending_verifier()
    assert pending is not None and pending.address == new_zk
    problems = check_deployment(client, d).problems
    assert any("proposed; acceptable from" in p for p in problems), problems

    before = sent()
    assert deploy(client, changed, deployer, tmp_path).changes == []  # waiting: nothing sent
    assert sent() == before

    client.travel_to(pending.ready_at + 1)
    accepted = deploy(client, changed, deployer, tmp_path)
    assert accepted.changes == [f"pointed the credit registry at ZKCreditVerifier {new_zk}"]
    assert system.credit.verifier() == new_zk and system.credit.pending_verifier() is None
    assert check_deployment(client, accepted.deployment).ok
    before = sent()
    assert deploy(client, changed, deployer, tmp_path).changes == []
    assert sent() == before
