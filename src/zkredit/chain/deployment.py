"""The deployment record, ``deployments/<chainId>.json``.

One JSON object per chain: ``contracts`` is keyed by contract name (the slot:
the artifact name, except where a deployment substitutes another artifact) and
holds each contract's ``address``, ``txHash``, ``blockNumber``, ``artifact``,
``artifactSha256`` and ``constructorArgs``. It also records the policy, the deny
set, the trusted issuers, the published KYC roots and the registered agents, so
services find everything they need in one file. Written atomically.

Development keys of the agents' wallets go to the sibling
``<chainId>.keys.json`` (mode 0600) and nowhere else.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.chain.client import ChainClient, Sender
from zkredit.chain.contracts import (
    AuditAnchor,
    CreditRegistry,
    IdentityRegistry,
    KycRegistry,
    ReputationRegistry,
    ZKCreditVerifier,
    ZkUsd,
)
from zkredit.chain.errors import DeploymentError, DeploymentNotFound
from zkredit.settings import project_root

IDENTITY = "ERC8004IdentityRegistry"
REPUTATION = "ERC8004ReputationRegistry"
KYC = "ERC8004KYCRegistry"
CREDIT = "ERC8004CreditRegistry"
VERIFIER_SLOTS = (
    "IncomeVerifier",
    "CreditHistoryVerifier",
    "CollateralVerifier",
    "IdentityVerifier",
)
BATCH = "ZKCreditBatchGroth16"
ZKCREDIT = "ZKCreditVerifier"
ZKUSD = "ZkUSD"
ANCHOR = "AuditAnchor"


def default_deployments_dir() -> Path:
    return project_root() / "deployments"


def deployment_path(directory: Path, chain_id: int) -> Path:
    return directory / f"{chain_id}.json"


def keys_path(directory: Path, chain_id: int) -> Path:
    return directory / f"{chain_id}.keys.json"


@dataclass(frozen=True)
class ContractRecord:
    """Where one contract lives and what it was built from."""

    address: str
    tx_hash: str
    block_number: int
    artifact: str
    artifact_sha256: str
    constructor_args: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "artifact": self.artifact,
            "artifactSha256": self.artifact_sha256,
            "constructorArgs": self.constructor_args,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContractRecord:
        return cls(
            address=str(data["address"]),
            tx_hash=str(data["txHash"]),
            block_number=int(data["blockNumber"]),
            artifact=str(data["artifact"]),
            artifact_sha256=str(data["artifactSha256"]),
            constructor_args=list(data.get("constructorArgs", [])),
        )


@dataclass
class Deployment:
    """Everything deployed on one chain."""

    chain_id: int
    environment: str
    deployer: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    """policy, denyList, issuers, kycRoots, agents: what was configured."""

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentError(
                f"the deployment on chain {self.chain_id} has no {name} (has: {known})",
                hint="Run `zkredit deploy` to complete it.",
            ) from None

    @property
    def policy_hash(self) -> bytes:
        policy = self.config.get("policy")
        if not policy:
            raise DeploymentError(f"no policy was registered on chain {self.chain_id}")
        return bytes.fromhex(str(policy["hash"])[2:])

    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        agents: dict[str, dict[str, Any]] = self.config.get("agents", {})
        return agents

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "environment": self.environment,
            "deployer": self.deployer,
            "contracts": {k: v.to_json() for k, v in self.contracts.items()},
            **self.config,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        core = {"chainId", "environment", "deployer", "contracts"}
        return cls(
            chain_id=int(data["chainId"]),
            environment=str(data["environment"]),
            deployer=str(data["deployer"]),
            contracts={k: ContractRecord.from_json(v) for k, v in dict(data["contracts"]).items()},
            config={k: v for k, v in data.items() if k not in core},
        )

    # -- files -------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, chain_id: int) -> Deployment:
        path = deployment_path(directory, chain_id)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise DeploymentNotFound(
                f"no deployment for chain {chain_id}: {path} does not exist",
                hint="Deploy first with `zkredit deploy` (or pass --deployments-dir).",
            ) from None
        except json.JSONDecodeError as exc:
            raise DeploymentError(f"{path} is not valid JSON: {exc}") from None
        return cls.from_json(data)

    @classmethod
    def load_optional(cls, directory: Path, chain_id: int) -> Deployment | None:
        try:
            return cls.load(directory, chain_id)
        except DeploymentNotFound:
            return None

    def save(self, directory: Path) -> Path:
        """Write the record atomically; returns its path."""
        path = deployment_path(directory, self.chain_id)
        write_json_atomic(path, self.to_json(), mode=0o644)
        return path

    # -- wrappers -------------------------------------------------------------------------

    def system(self, client: ChainClient, sender: Sender | None = None) -> System:
        """Typed wrappers of every deployed contract, sending from ``sender`` by default."""

        def opt(name: str, kind: Any) -> Any:
            return (
                kind(client, self.contracts[name].address, sender=sender)
                if (name in self.contracts)
                else None
            )

        return System(
            client=client,
            deployment=self,
            identity=IdentityRegistry(client, self.address(IDENTITY), sender=sender),
            reputation=ReputationRegistry(client, self.address(REPUTATION), sender=sender),
            kyc=KycRegistry(client, self.address(KYC), sender=sender),
            credit=CreditRegistry(client, self.address(CREDIT), sender=sender),
            zk=ZKCreditVerifier(client, self.address(ZKCREDIT), sender=sender),
            zkusd=opt(ZKUSD, ZkUsd),
            anchor=opt(ANCHOR, AuditAnchor),
        )


@dataclass
class System:
    """The deployed contracts, wrapped."""

    client: ChainClient
    deployment: Deployment
    identity: IdentityRegistry
    reputation: ReputationRegistry
    kyc: KycRegistry
    credit: CreditRegistry
    zk: ZKCreditVerifier
    zkusd: ZkUsd | None
    anchor: AuditAnchor | None

    def verifier_addresses(self) -> list[str]:
        return [self.deployment.address(slot) for slot in VERIFIER_SLOTS]

    def batch_address(self) -> str | None:
        rec = self.deployment.contracts.get(BATCH)
        return rec.address if rec else None


def write_json_atomic(path: Path, data: Any, *, mode: int) -> None:
    """Write ``data`` as JSON to ``path`` via a temp file, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
