"""Rotating an agent's signing key through the identity registry's ``setAgentWallet``.

Steps, each safe to repeat: (1) a fresh key is written beside the keystore as
``<agent>.next.json`` (encrypted, 0600), unless one is already waiting there; (2) the
registry's owner points the agent at it (the new key signs the EIP-712 consent);
(3) the deployment record names the new wallet; (4) the keystore is replaced, the old
one kept as ``<agent>.<timestamp>.old.json``. A crash between two steps is finished by
running the command again: the waiting key is reused, and a registry already pointing
at it is not asked twice. Peers stop accepting the old key within the registry cache
TTL (30 s); restart the agent so that it signs with the new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkredit.errors import InputError
from zkredit.keystore import Keystore


@dataclass(frozen=True)
class Rotated:
    agent: str
    old_wallet: str
    new_wallet: str
    tx_sent: bool

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "old_wallet": self.old_wallet,
                "new_wallet": self.new_wallet, "registry_updated": self.tx_sent}


def rotate_agent_key(agent: str, store: Keystore, password: str, chain: Any,
                     owner: LocalAccount, deployments_dir: Any) -> Rotated:
    """Rotate ``agent``'s wallet: ``chain`` is a ``bootstrap.ChainContext``, ``owner`` the
    account that owns the agent in the identity registry (the deployer)."""
    record = chain.deployment.agents.get(agent)
    if not record:
        raise InputError(f"the {agent} agent is not in the deployment on chain "
                         f"{chain.client.chain_id}")
    agent_id = int(record["agentId"])
    waiting = store.directory / f"{agent}.next.json"
    if waiting.is_file():
        import json

        new: LocalAccount = Account.from_key(Account.decrypt(json.loads(waiting.read_text()),
                                                             password))
    else:
        new = Account.create()
        from zkredit.chain.deployment import write_json_atomic

        write_json_atomic(waiting, Account.encrypt(new.key, password), mode=0o600)
    system = chain.system(owner)
    identity = system.identity
    old_wallet = str(identity.get_agent_wallet(agent_id))
    sent = False
    if old_wallet.lower() != new.address.lower():
        chain.client.add_account(new)
        identity.set_agent_wallet(agent_id, new.address, owner.address)
        sent = True
    chain.deployment.agents[agent]["wallet"] = new.address
    chain.deployment.save(deployments_dir)
    if store.exists(agent) and store.address(agent).lower() != new.address.lower():
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        store.path(agent).rename(store.directory / f"{agent}.{stamp}.old.json")
    if not store.exists(agent):
        store.create(agent, password, key=bytes(new.key))
    waiting.unlink()
    return Rotated(agent, old_wallet, new.address, sent)
