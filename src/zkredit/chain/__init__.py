"""The chain layer: one client over the embedded py-evm chain and any JSON-RPC node,
typed contract wrappers, idempotent deployment, and a development node (anvil).

Typical use::

    client = connect(settings, rpc_url)              # or ChainClient.embedded()
    deployment = Deployment.load(default_deployments_dir(), client.chain_id)
    system = deployment.system(client, sender=resolve_sender(client, settings))
    attestation = submit_application(proofs, deployment.policy_hash, verifier=system.zk)
"""

from __future__ import annotations

from zkredit.chain.application import Application, Attestation
from zkredit.chain.client import ChainClient
from zkredit.chain.connect import connect, resolve_sender
from zkredit.chain.deployment import Deployment, System, default_deployments_dir
from zkredit.chain.errors import (
    ChainError,
    DeploymentError,
    DeploymentMismatch,
    NodeBinaryMissing,
    NodeUnavailable,
    TxReverted,
    UnsafeDeployment,
)
from zkredit.chain.policy import OnChainPolicy, PolicyTerms
from zkredit.chain.submit import load_proofs, submit_application

__all__ = [
    "Application",
    "Attestation",
    "ChainClient",
    "ChainError",
    "Deployment",
    "DeploymentError",
    "DeploymentMismatch",
    "NodeBinaryMissing",
    "NodeUnavailable",
    "OnChainPolicy",
    "PolicyTerms",
    "System",
    "TxReverted",
    "UnsafeDeployment",
    "connect",
    "default_deployments_dir",
    "load_proofs",
    "resolve_sender",
    "submit_application",
]
