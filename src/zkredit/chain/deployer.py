"""Deploying and configuring the ZKredit contracts, idempotently.

:func:`deploy` brings a chain to the state a :class:`DeployConfig` describes and
reports every change it made; run twice, the second run changes nothing. A
recorded contract is reused when its code on chain still matches its artifact
(immutables aside) and it was built with the same artifact and constructor
arguments; otherwise it is deployed again, and since the arguments name the
contracts before it, its dependants follow. Order (contracts/README.md):

1. identity, 2. reputation(identity), 3. KYC(delay, admin),
4. credit(delay, admin, identity, verifierDelay), 5. four generated verifiers and the batch
verifier, 6. ZKCreditVerifier(delay, admin, kyc, credit, verifiers, batch),
7. credit.proposeVerifier + acceptVerifier, 8. roles, deny-set, issuers, KYC roots, policy,
9. zkUSD (development), audit anchor, then the agents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from zkredit.chain.artifacts import ArtifactStore
from zkredit.chain.bytecode import compare_runtime
from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig
from zkredit.chain.configure import configure
from zkredit.chain.deployment import (
    ANCHOR,
    BATCH,
    CREDIT,
    IDENTITY,
    KYC,
    REPUTATION,
    VERIFIER_SLOTS,
    ZKCREDIT,
    ZKUSD,
    ContractRecord,
    Deployment,
)
from zkredit.chain.errors import DeploymentError, TxReverted
from zkredit.chain.wallets import write_dev_keys
from zkredit.settings import Environment

ZERO_ADDRESS = "0x" + "00" * 20
Addresses = dict[str, str]


@dataclass(frozen=True)
class Step:
    """One contract to have on chain: its record key, artifact and constructor arguments."""

    key: str
    artifact: str
    args: Callable[[Addresses], list[Any]]


def plan(config: DeployConfig, admin: str) -> list[Step]:
    """The contracts of ``config`` in dependency order."""
    delay = config.admin_delay
    steps = [
        Step(IDENTITY, IDENTITY, lambda a: []),
        Step(REPUTATION, REPUTATION, lambda a: [a[IDENTITY]]),
        Step(KYC, KYC, lambda a: [delay, admin]),
        Step(CREDIT, CREDIT, lambda a: [delay, admin, a[IDENTITY], config.verifier_delay]),
    ]
    steps += [
        Step(slot, artifact, lambda a: [])
        for slot, artifact in zip(VERIFIER_SLOTS, config.verifier_artifacts, strict=True)
    ]
    if config.batch_artifact:
        steps.append(Step(BATCH, config.batch_artifact, lambda a: []))
    steps.append(
        Step(
            ZKCREDIT,
            ZKCREDIT,
            lambda a: [
                delay,
                admin,
                a[KYC],
                a[CREDIT],
                [a[s] for s in VERIFIER_SLOTS],
                a.get(BATCH, ZERO_ADDRESS),
            ],
        )
    )
    if config.with_zkusd:
        steps.append(Step(ZKUSD, ZKUSD, lambda a: [admin]))
    if config.with_anchor:
        steps.append(Step(ANCHOR, ANCHOR, lambda a: [delay, admin]))
    return steps


@dataclass
class DeployReport:
    """The deployment after the run, and what the run changed (empty: nothing)."""

    deployment: Deployment
    changes: list[str] = field(default_factory=list)
    path: Path | None = None
    keys_path: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _reusable(
    client: ChainClient,
    store: ArtifactStore,
    record: ContractRecord | None,
    step: Step,
    args: list[Any],
) -> bool:
    if record is None or record.artifact != step.artifact:
        return False
    art = store.get(step.artifact)
    if record.artifact_sha256 != art.sha256 or record.constructor_args != _jsonable(args):
        return False
    return compare_runtime(art.deployed_bytecode, client.code(record.address)).matches


def deploy_contracts(
    client: ChainClient,
    config: DeployConfig,
    deployer: LocalAccount,
    *,
    existing: Deployment | None = None,
    store: ArtifactStore | None = None,
    configure_all: bool = True,
) -> DeployReport:
    """Deploy (or reuse) every contract of ``config``; with ``configure_all``, configure
    them too (roles and agents included; the deploy manager runs those as phases)."""
    store = store or client.artifacts
    client.add_account(deployer)
    previous = existing.contracts if existing and existing.chain_id == client.chain_id else {}
    deployment = Deployment(client.chain_id, config.environment.value, deployer.address)
    if existing and existing.chain_id == client.chain_id:
        deployment.config = dict(existing.config)
    changes: list[str] = []
    addresses: Addresses = {}
    for step in plan(config, deployer.address):
        args = step.args(addresses)
        record = previous.get(step.key)
        if record is None or not _reusable(client, store, record, step, args):
            record = _deploy_one(client, store, step, args, deployer)
            changes.append(f"deployed {step.key} at {record.address}")
        deployment.contracts[step.key] = record
        addresses[step.key] = record.address
    if any(c.startswith(f"deployed {IDENTITY} ") for c in changes):
        deployment.config.pop("agents", None)  # registered in the old registry
    if configure_all:
        changes += configure(client, deployment, config, deployer)
    return DeployReport(deployment, changes)


def planned_contracts(
    client: ChainClient, config: DeployConfig, deployer: str, existing: Deployment | None,
    store: ArtifactStore | None = None,
) -> list[tuple[str, str]]:
    """What :func:`deploy_contracts` would do to each contract, without sending anything:
    (key, "reuse <address>" | "deploy")."""
    store = store or client.artifacts
    previous = existing.contracts if existing and existing.chain_id == client.chain_id else {}
    addresses: Addresses = {}
    out = []
    for step in plan(config, deployer):
        args = step.args(addresses)
        record = previous.get(step.key)
        if record is not None and _reusable(client, store, record, step, args):
            addresses[step.key] = record.address
            out.append((step.key, f"reuse {record.address}"))
        else:
            addresses[step.key] = "0x" + "ff" * 20  # a new address: dependants redeploy
            out.append((step.key, "deploy"))
    return out


def _deploy_one(
    client: ChainClient, store: ArtifactStore, step: Step, args: list[Any], deployer: LocalAccount
) -> ContractRecord:
    try:
        deployed = client.deploy(step.artifact, *args, sender=deployer, store=store)
    except TxReverted as exc:
        raise DeploymentError(
            f"deploying {step.key} ({step.artifact}) reverted: {exc.message}",
            hint=exc.hint or "Check the constructor arguments and the deployer's balance.",
        ) from exc
    return ContractRecord(
        address=deployed.address,
        tx_hash=deployed.tx_hash,
        block_number=deployed.block_number,
        artifact=step.artifact,
        artifact_sha256=store.get(step.artifact).sha256,
        constructor_args=_jsonable(args),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def deploy(
    client: ChainClient,
    config: DeployConfig,
    deployer: LocalAccount,
    directory: Path,
    *,
    store: ArtifactStore | None = None,
) -> DeployReport:
    """:func:`deploy_contracts` against ``directory/<chainId>.json``, then save the record
    (and, in development only, the agents' keys) if anything changed."""
    existing = Deployment.load_optional(directory, client.chain_id)
    report = deploy_contracts(client, config, deployer, existing=existing, store=store)
    path = directory / f"{client.chain_id}.json"
    if report.changed or existing is None or existing.to_json() != report.deployment.to_json():
        report.path = report.deployment.save(directory)
    else:
        report.path = path
    wallets = {a.name: a.wallet for a in config.agents if a.wallet is not None}
    if wallets and config.environment is Environment.DEVELOPMENT:
        report.keys_path = write_dev_keys(directory, client.chain_id, wallets)
    return report
