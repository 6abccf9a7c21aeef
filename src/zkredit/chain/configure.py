"""Bringing deployed contracts to the configured state; each step reads before it writes.

Every step checks the chain first and sends a transaction only when the state
differs, so configuring twice changes nothing. The returned strings say what
changed; the deployment record's ``config`` section is updated to match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from zkredit.chain.client import ChainClient
from zkredit.chain.config import AgentSpec, DeployConfig
from zkredit.chain.contracts import (
    ANCHOR_ROLE,
    ISSUER_ADMIN_ROLE,
    KYC_POLICY_ADMIN_ROLE,
    KYC_PROVIDER_ROLE,
    PAUSER_ROLE,
    POLICY_ADMIN_ROLE,
    KycRegistry,
)
from zkredit.chain.deployment import Deployment, System
from zkredit.chain.errors import DeploymentError, TxReverted
from zkredit.issuers.registry import KycProvider
from zkredit.zk.statements import deny_list_hash

AGENT_METADATA_KEY = "zkredit.agent"


def configure(
    client: ChainClient, deployment: Deployment, config: DeployConfig, deployer: LocalAccount
) -> list[str]:
    """Wire, grant roles, set the deny-set, trust issuers, publish roots, register the
    policy and the agents. Returns the changes made."""
    changes = wire(client, deployment, deployer)
    changes += [g.describe() for g in grant_roles(client, deployment, config, deployer)]
    changes += configure_trust(client, deployment, config, deployer)
    changes += register_agents(client, deployment, config, deployer)
    return changes


@contextmanager
def _reverts_as_deployment_error(what: str) -> Iterator[None]:
    try:
        yield
    except TxReverted as exc:
        raise DeploymentError(f"{what} failed: {exc.message}", hint=exc.hint) from exc


def wire(client: ChainClient, deployment: Deployment, deployer: LocalAccount) -> list[str]:
    """Point the credit registry at ZKCreditVerifier (the admin's two calls).

    ``proposeVerifier`` then, once the registry's verifier delay has passed,
    ``acceptVerifier``. The first verifier and a zero delay are accepted in the same
    run; otherwise the run proposes and a later run (after the delay) accepts. A run
    that finds the proposal pending and not yet acceptable sends nothing."""
    system = deployment.system(client, sender=deployer)
    credit, target = system.credit, system.zk.address
    changes: list[str] = []
    with _reverts_as_deployment_error("wiring the contracts"):
        if credit.verifier() == target:
            return []
        pending = credit.pending_verifier()
        if pending is None or pending.address != target:
            credit.propose_verifier(target)
            pending = credit.pending_verifier()
            if pending is None or pending.address != target:
                raise DeploymentError(
                    f"the credit registry did not record the proposal of {target}")
            changes.append(f"proposed ZKCreditVerifier {target} to the credit registry")
        if client.now() < pending.ready_at:
            if changes:
                changes.append(
                    f"the credit registry accepts it from {_utc(pending.ready_at)}; "
                    "run `zkredit deploy` again then"
                )
            return changes
        credit.accept_verifier()
        changes.append(f"pointed the credit registry at ZKCreditVerifier {target}")
    return changes


def _utc(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def configure_trust(
    client: ChainClient, deployment: Deployment, config: DeployConfig, deployer: LocalAccount
) -> list[str]:
    """Set the deny-set, trust issuers, publish roots, register the policy: the role
    holders' work, done here when the deployer holds those roles (the default)."""
    system = deployment.system(client, sender=deployer)
    needed = [(system.kyc, "ISSUER_ADMIN_ROLE", ISSUER_ADMIN_ROLE),
              (system.kyc, "KYC_PROVIDER_ROLE", KYC_PROVIDER_ROLE),
              (system.kyc, "POLICY_ADMIN_ROLE", KYC_POLICY_ADMIN_ROLE),
              (system.zk, "POLICY_ADMIN_ROLE", POLICY_ADMIN_ROLE)]
    missing = [f"{name} on {c.artifact}" for c, name, rid in needed
               if not c.has_role(rid, deployer.address)]
    if missing:
        return [f"left to the role holders (the deployer lacks {', '.join(missing)}): "
                "trusting issuers, publishing KYC roots, the deny-set and the policy"]
    changes: list[str] = []
    with _reverts_as_deployment_error("configuring issuers, KYC roots and the policy"):
        changes += _trust(system, deployment, config)
        changes += _register_policy(system, deployment, config)
    return changes


@dataclass(frozen=True)
class Grant:
    """One role granted by a run (so that a failed run can revoke it)."""

    contract: Any
    name: str
    role_id: bytes
    account: str

    def describe(self) -> str:
        return f"granted {self.name} on {self.contract.artifact} to {self.account}"

    def revoke(self) -> str:
        self.contract.revoke_role(self.role_id, self.account)
        return f"revoked {self.name} on {self.contract.artifact} from {self.account}"


def role_holders(config: DeployConfig, deployer: str) -> dict[str, list[str]]:
    """Role name -> the addresses that must hold it: configured, else the deployer.
    Every agent wallet also anchors its own audit log."""
    holders = {name: list(config.roles.get(name) or [deployer]) for name in ROLE_NAMES}
    for agent in config.agents:
        if agent.wallet is not None and agent.wallet.address not in holders["anchorer"]:
            holders["anchorer"].append(agent.wallet.address)
    return holders


ROLE_NAMES = ("kyc_provider", "issuer_admin", "kyc_policy_admin", "policy_admin", "pauser",
              "anchorer")


def grant_roles(
    client: ChainClient, deployment: Deployment, config: DeployConfig, deployer: LocalAccount
) -> list[Grant]:
    """Give each role to its configured holders; returns the grants this run made."""
    system = deployment.system(client, sender=deployer)
    targets: list[tuple[Any, str, str, bytes]] = [
        (system.kyc, "kyc_provider", "KYC_PROVIDER_ROLE", KYC_PROVIDER_ROLE),
        (system.kyc, "issuer_admin", "ISSUER_ADMIN_ROLE", ISSUER_ADMIN_ROLE),
        (system.kyc, "kyc_policy_admin", "POLICY_ADMIN_ROLE", KYC_POLICY_ADMIN_ROLE),
        (system.zk, "policy_admin", "POLICY_ADMIN_ROLE", POLICY_ADMIN_ROLE),
        (system.zk, "pauser", "PAUSER_ROLE", PAUSER_ROLE),
    ]
    if system.anchor is not None:
        targets.append((system.anchor, "anchorer", "ANCHOR_ROLE", ANCHOR_ROLE))
    holders = role_holders(config, deployer.address)
    grants: list[Grant] = []
    with _reverts_as_deployment_error("granting roles"):
        for contract, key, name, role_id in targets:
            for account in holders[key]:
                if contract.ensure_role(role_id, account):
                    grants.append(Grant(contract, name, role_id, account))
    deployment.config["roles"] = holders
    return grants


def register_agents(
    client: ChainClient, deployment: Deployment, config: DeployConfig, deployer: LocalAccount
) -> list[str]:
    """Register the agents in the identity registry (URIs, wallets, development funding)."""
    system = deployment.system(client, sender=deployer)
    with _reverts_as_deployment_error("registering the agents"):
        changes = _agents(client, system, deployment, config, deployer)
        changes += _fund_float(system, deployment, config)
    return changes


def _fund_float(system: System, deployment: Deployment, config: DeployConfig) -> list[str]:
    """Development only: mint the test token's float to the agents that pay with it."""
    changes: list[str] = []
    if system.zkusd is None:
        return changes
    for name, minimum in config.zkusd_float.items():
        wallet = deployment.agents.get(name, {}).get("wallet")
        if wallet and system.zkusd.balance_of(wallet) < minimum:
            system.zkusd.mint(wallet, minimum * 1000)
            changes.append(f"minted a zkUSD float to agent {name}")
    return changes


def _trust(system: System, deployment: Deployment, config: DeployConfig) -> list[str]:
    changes = []
    kyc = system.kyc
    if config.deny_list is not None:
        codes = tuple(config.deny_list)
        digest = deny_list_hash(codes)
        if kyc.deny_list() != (codes, digest):
            kyc.set_deny_list(codes, digest)
            changes.append(f"set the jurisdiction deny-set to {list(codes)}")
        deployment.config["denyList"] = {"codes": list(codes), "hash": str(digest)}
    recorded: dict[str, list[list[str]]] = {}
    for cred_type, keys in sorted(config.issuers.items()):
        for ax, ay in keys:
            if not kyc.is_trusted_issuer(cred_type, ax, ay):
                kyc.add_issuer(cred_type, ax, ay)
                changes.append(
                    f"trusted issuer key ({str(ax)[:12]}…) for credential type {cred_type}"
                )
            recorded.setdefault(str(cred_type), []).append([str(ax), str(ay)])
    if recorded:
        deployment.config["issuers"] = recorded
    roots = [str(r) for r in deployment.config.get("kycRoots", [])]
    for root in config.kyc_roots:
        if _needs_publication(kyc, root):
            kyc.publish_root(root)
            changes.append(f"published KYC root {str(root)[:12]}…")
        if str(root) not in roots:
            roots.append(str(root))
    if config.kyc_provider is not None and len(config.kyc_provider.tree):
        root = int(config.kyc_provider.tree.root)
        if _publish_provider_root(kyc, config.kyc_provider):
            changes.append(f"published the KYC provider's root {str(root)[:12]}…")
        if str(root) not in roots:
            roots.append(str(root))
    if roots:
        deployment.config["kycRoots"] = roots
    return changes


def _needs_publication(kyc: KycRegistry, root: int) -> bool:
    """Never published, or published but unknown now because its publisher no longer holds
    the provider role (a rotated key): publishing re-attests it. A revoked root stays out."""
    info = kyc.root_info(root)
    if info.published_at == 0:
        return True
    return not info.revoked and not kyc.is_known_root(root)


def _publish_provider_root(kyc: KycRegistry, provider: KycProvider) -> bool:
    """Publish the provider's current root unless this chain knows it; the provider's
    state records the publication. True when a transaction was sent."""
    root = int(provider.tree.root)
    if not _needs_publication(kyc, root):
        return False
    last = provider.published[-1] if provider.published else None
    if last is not None and last["root"] == str(root):  # published on another chain
        tx = kyc.publish_root(root)
        provider.published.append({"root": str(root), "tx": tx, "size": len(provider.tree)})
    else:
        provider.publish(kyc)
    return True


def _register_policy(system: System, deployment: Deployment, config: DeployConfig) -> list[str]:
    if config.policy is None:
        return []
    changes = []
    if not system.zk.is_policy_active(config.policy.hash):
        system.zk.register_policy(config.policy)
        changes.append(f"registered policy 0x{config.policy.hash.hex()}")
    deployment.config["policy"] = config.policy.to_json()
    return changes


def _agents(
    client: ChainClient,
    system: System,
    deployment: Deployment,
    config: DeployConfig,
    deployer: LocalAccount,
) -> list[str]:
    changes: list[str] = []
    records: dict[str, Any] = dict(deployment.agents)
    for spec in config.agents:
        record, made = _agent(
            client, system, spec, records.get(spec.name), deployer, config.fund_agents_wei
        )
        records[spec.name] = record
        changes += made
    if records:
        deployment.config["agents"] = records
    return changes


def _agent(
    client: ChainClient,
    system: System,
    spec: AgentSpec,
    recorded: dict[str, Any] | None,
    deployer: LocalAccount,
    funding: int,
) -> tuple[dict[str, Any], list[str]]:
    identity = system.identity
    changes = []
    agent_id = int(recorded["agentId"]) if recorded else None
    if agent_id is None or not _is_ours(system, agent_id, spec.name, deployer.address):
        agent_id = _discover(system, spec.name, deployer.address)
    if agent_id is None:
        agent_id = identity.register(spec.uri, {AGENT_METADATA_KEY: spec.name.encode()})
        changes.append(f"registered agent {spec.name} as #{agent_id} ({spec.uri})")
    elif identity.agent_uri(agent_id) != spec.uri:
        identity.set_agent_uri(agent_id, spec.uri)
        changes.append(f"pointed agent {spec.name} at {spec.uri}")
    if spec.wallet is not None:
        client.add_account(spec.wallet)
        if identity.get_agent_wallet(agent_id) != spec.wallet.address:
            identity.set_agent_wallet(agent_id, spec.wallet)
            changes.append(f"set agent {spec.name}'s wallet to {spec.wallet.address}")
    wallet = identity.get_agent_wallet(agent_id)
    if funding > 0 and wallet != deployer.address and client.balance(wallet) < funding // 10:
        client.send_value(wallet, funding, deployer)
        changes.append(f"funded agent {spec.name}'s wallet with {funding / 10**18:g} ETH")
    record = {"agentId": agent_id, "uri": spec.uri, "owner": deployer.address, "wallet": wallet}
    return record, changes


def _is_ours(system: System, agent_id: int, name: str, owner: str) -> bool:
    try:
        return (
            system.identity.owner_of(agent_id) == owner
            and system.identity.get_metadata(agent_id, AGENT_METADATA_KEY) == name.encode()
        )
    except TxReverted:  # no such token (a new identity registry)
        return False


def _discover(system: System, name: str, owner: str) -> int | None:
    """The id of agent ``name`` registered by ``owner``, found from its metadata."""
    for agent_id in range(system.identity.total_agents(), 0, -1):
        if _is_ours(system, agent_id, name, owner):
            return agent_id
    return None
