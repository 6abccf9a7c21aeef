"""Bringing deployed contracts to the configured state; each step reads before it writes.

Every step checks the chain first and sends a transaction only when the state
differs, so configuring twice changes nothing. The returned strings say what
changed; the deployment record's ``config`` section is updated to match.
"""

from __future__ import annotations

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
    system = deployment.system(client, sender=deployer)
    changes: list[str] = []
    try:
        changes += _wire_and_grant(system, deployer.address)
        changes += _trust(system, deployment, config)
        changes += _register_policy(system, deployment, config)
        changes += _agents(client, system, deployment, config, deployer)
    except TxReverted as exc:
        raise DeploymentError(
            f"configuring the deployment failed: {exc.message}", hint=exc.hint
        ) from exc
    return changes


def _wire_and_grant(system: System, admin: str) -> list[str]:
    changes = []
    if system.credit.verifier() != system.zk.address:
        system.credit.set_verifier(system.zk.address)
        changes.append(f"pointed the credit registry at ZKCreditVerifier {system.zk.address}")
    grants = [
        (system.kyc, "KYC_PROVIDER_ROLE", KYC_PROVIDER_ROLE),
        (system.kyc, "ISSUER_ADMIN_ROLE", ISSUER_ADMIN_ROLE),
        (system.kyc, "POLICY_ADMIN_ROLE", KYC_POLICY_ADMIN_ROLE),
        (system.zk, "POLICY_ADMIN_ROLE", POLICY_ADMIN_ROLE),
        (system.zk, "PAUSER_ROLE", PAUSER_ROLE),
    ]
    if system.anchor is not None:
        grants.append((system.anchor, "ANCHOR_ROLE", ANCHOR_ROLE))
    for contract, name, role_id in grants:
        if contract.ensure_role(role_id, admin):
            changes.append(f"granted {name} on {contract.artifact} to {admin}")
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
        if kyc.root_timestamp(root) == 0:
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


def _publish_provider_root(kyc: KycRegistry, provider: KycProvider) -> bool:
    """Publish the provider's current root unless this chain knows it; the provider's
    state records the publication. True when a transaction was sent."""
    root = int(provider.tree.root)
    if kyc.root_timestamp(root):
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
