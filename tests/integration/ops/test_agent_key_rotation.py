"""`zkredit keys rotate agent NAME`: the registry points the agent at a fresh key through
setAgentWallet, the deployment record and keystore follow; interrupted after the
registry changed, a rerun finishes with the same key and sends nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from zkredit.bootstrap import ChainContext
from zkredit.chain.deployment import Deployment
from zkredit.demo.system import LiveSystem
from zkredit.keystore import Keystore
from zkredit.ops.agent_keys import rotate_agent_key

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PASSWORD = "rotation test password"


def test_an_agent_key_rotates_through_the_registry_and_a_crash_is_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LiveSystem(tmp_path / "system", capture_bodies=False,
                    only=frozenset({"receiver"})) as system:
        assert system.client is not None
        owner: LocalAccount = system.client.dev_accounts()[0]
        directory = system.settings.app.deployments_dir
        store = Keystore(tmp_path / "keystores")

        def chain() -> ChainContext:
            return ChainContext(system.client, Deployment.load(directory,
                                                               system.client.chain_id))

        before = chain().agent_wallet("receiver")
        real_create = Keystore.create

        def crash(*args: object, **kwargs: object) -> str:
            raise KeyboardInterrupt("killed after the registry changed")

        monkeypatch.setattr(Keystore, "create", crash)
        with pytest.raises(KeyboardInterrupt):
            rotate_agent_key("receiver", store, PASSWORD, chain(), owner, directory)
        monkeypatch.setattr(Keystore, "create", real_create)
        agent_id = int(chain().deployment.agents["receiver"]["agentId"])
        registered = str(system.system.identity.get_agent_wallet(agent_id))
        assert registered != before  # the registry moved; the keystore did not

        done = rotate_agent_key("receiver", store, PASSWORD, chain(), owner, directory)
        assert done.new_wallet == registered and not done.tx_sent  # no second transaction
        assert store.address("receiver") == registered
        assert chain().agent_wallet("receiver") == registered
        assert store.unlock("receiver", PASSWORD).address == registered
        assert not (store.directory / "receiver.next.json").exists()
