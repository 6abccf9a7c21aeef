"""Deploying an environment, in phases: ``zkredit deploy --env ENV``.

1. preflight: the chain, the deployer and the configuration are fit for the environment;
2. circuits: the committed keys match their manifest (and, outside development, come
   from the ceremony);
3. contracts: deployed (or reused) and wired;
4. roles: each role to its configured holders, every agent wallet an anchorer, the admin
   handed over when configured; then what the roles gate (deny-set, trusted issuers,
   KYC roots, policy), done here when the deployer holds those roles, else listed for
   their holders;
5. migrations: every agent's database at head;
6. agents: registered in the ERC-8004 identity registry, their URIs at their cards;
7. validation: on-chain code, wiring, roles and agents read back and compared.

Every phase reads before it writes, so a rerun sends no transaction. A failed phase
rolls back what can be undone (role grants, a started admin hand-over) and says what
cannot (contracts on chain, registered agents, forward-only migrations). The record,
``deployments/<chainId>.json``, is written only once validation passes; it holds
addresses, roles and agent ids, never a key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from zkredit.bootstrap import AGENTS, ZKServices
from zkredit.chain.check import check_deployment
from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig
from zkredit.chain.configure import (
    Grant,
    configure_trust,
    grant_roles,
    register_agents,
    wire,
)
from zkredit.chain.deployer import deploy_contracts, planned_contracts
from zkredit.chain.deployment import Deployment
from zkredit.chain.errors import DeploymentError
from zkredit.chain.safety import deployment_problems
from zkredit.errors import ConfigurationError, ZKreditError
from zkredit.settings import Environment, Settings

PHASES = ("preflight", "circuits", "contracts", "roles", "migrations", "agents", "validation")


@dataclass
class PhaseReport:
    """One phase of a run: what it did (or would do), how long it took."""

    name: str
    status: str = "pending"
    """pending | ok | failed | planned | not run"""
    seconds: float = 0.0
    changes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "seconds": round(self.seconds, 3),
                "changes": self.changes, "error": self.error}


@dataclass
class DeployRun:
    """The outcome of a run (or of a dry run: every phase ``planned``)."""

    environment: str
    chain_id: int
    phases: list[PhaseReport]
    path: Path | None = None
    rolled_back: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)
    transactions: int = 0
    """Blocks mined during the run: on an automining node, the transactions sent."""

    @property
    def ok(self) -> bool:
        return all(p.status in ("ok", "planned") for p in self.phases)

    @property
    def changed(self) -> bool:
        return any(p.changes for p in self.phases if p.status == "ok")

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "chainId": self.chain_id, "ok": self.ok,
                "changed": self.changed, "transactions": self.transactions,
                "path": str(self.path) if self.path else None,
                "phases": [p.to_json() for p in self.phases],
                "rolledBack": self.rolled_back, "notUndone": self.not_undone}


class DeployFailed(DeploymentError):
    """Raised when a phase fails; carries the run with its rollback report."""

    def __init__(self, message: str, run: DeployRun, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.run = run


class DeployRefused(DeployFailed, ConfigurationError):
    """Raised when a phase refuses the configuration (exits as a configuration error)."""


@dataclass
class DeployManager:
    """Runs the phases of one environment's deployment against one chain."""

    settings: Settings
    client: ChainClient
    deployer: LocalAccount
    config: DeployConfig
    directory: Path
    zk: ZKServices | None = None
    schema_prefix: str | None = None
    parties: tuple[str, ...] = AGENTS
    on_phase: Callable[[PhaseReport], None] | None = None
    known_problems: list[str] = field(default_factory=list)
    """Refusals found before the run (an agent key that cannot be read), listed by the
    preflight with every other."""
    _deployment: Deployment | None = None
    _grants: list[Grant] = field(default_factory=list)
    _admin_started: list[Any] = field(default_factory=list)
    _deployed: list[str] = field(default_factory=list)
    _undoable: list[str] = field(default_factory=list)

    @property
    def environment(self) -> Environment:
        return self.config.environment

    # -- the run ---------------------------------------------------------------------

    def phases(self) -> list[tuple[str, Callable[[], list[str]]]]:
        return [
            ("preflight", self._preflight),
            ("circuits", self._circuits),
            ("contracts", self._contracts),
            ("roles", self._roles),
            ("migrations", self._migrations),
            ("agents", self._agents),
            ("validation", self._validation),
        ]

    def run(self) -> DeployRun:
        self.client.add_account(self.deployer)
        start_block = self.client.block_number()
        run = DeployRun(self.environment.value, self.client.chain_id,
                        [PhaseReport(name) for name in PHASES])
        for report, (name, phase) in zip(run.phases, self.phases(), strict=True):
            started = time.perf_counter()
            try:
                report.changes = phase()
                report.status = "ok"
            except (ZKreditError, Exception) as exc:
                report.status = "failed"
                report.error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                report.seconds = time.perf_counter() - started
                self._notify(report)
                self._rollback(run)
                run.transactions = self.client.block_number() - start_block
                for later in run.phases:
                    if later.status == "pending":
                        later.status = "not run"
                kind = DeployRefused if isinstance(exc, ConfigurationError) else DeployFailed
                raise kind(
                    f"deploy phase {name!r} failed: {report.error}", run,
                    hint=getattr(exc, "hint", None)) from exc
            report.seconds = time.perf_counter() - started
            self._notify(report)
        assert self._deployment is not None
        run.path = self._save()
        run.transactions = self.client.block_number() - start_block
        return run

    def _notify(self, report: PhaseReport) -> None:
        if self.on_phase is not None:
            self.on_phase(report)

    def _save(self) -> Path:
        assert self._deployment is not None
        existing = Deployment.load_optional(self.directory, self.client.chain_id)
        path = self.directory / f"{self.client.chain_id}.json"
        if existing is None or existing.to_json() != self._deployment.to_json():
            path = self._deployment.save(self.directory)
        return path

    def _rollback(self, run: DeployRun) -> None:
        for grant in reversed(self._grants):
            try:
                run.rolled_back.append(grant.revoke())
            except Exception as exc:
                run.not_undone.append(f"{grant.describe()} (revoking failed: {exc})")
        for contract in self._admin_started:
            try:
                contract.cancel_admin_transfer()
                run.rolled_back.append(f"cancelled the admin hand-over on {contract.artifact}")
            except Exception as exc:
                run.not_undone.append(f"the admin hand-over on {contract.artifact} ({exc})")
        run.not_undone += [f"{c} (contracts cannot be removed; unrecorded, a rerun redeploys)"
                           for c in self._deployed]
        run.not_undone += self._undoable
        run.rolled_back.append(
            f"left {self.directory / f'{self.client.chain_id}.json'} as it was")

    # -- phases ----------------------------------------------------------------------

    def _preflight(self) -> list[str]:
        problems = [*self.known_problems,
                    *deployment_problems(self.config, self.deployer, self._setup_kind())]
        if not self.settings.is_development and self.settings.chain.chain_id != \
                self.client.chain_id:
            problems.append(f"the node is chain {self.client.chain_id}, but CHAIN_ID is "
                            f"{self.settings.chain.chain_id}")
        if self.settings.app.env is not self.environment:
            problems.append(f"the settings are for {self.settings.app.env.value!r}, the "
                            f"deployment for {self.environment.value!r}")
        balance = self.client.balance(self.deployer.address)
        if balance == 0:
            problems.append(f"the deployer {self.deployer.address} has no funds on chain "
                            f"{self.client.chain_id}")
        if problems:
            raise ConfigurationError(
                f"refusing to deploy to {self.environment.value!r}:\n  " + "\n  ".join(problems),
                hint="Fix the items above; `zkredit config check --env ENV` lists settings.")
        return []

    def _setup_kind(self) -> str:
        zk = self.zk or ZKServices.build(self.settings)
        self.zk = zk
        return zk.setup_kind if zk.integrity_ok else "unverified"

    def _circuits(self) -> list[str]:
        zk = self.zk or ZKServices.build(self.settings)
        self.zk = zk
        if not zk.integrity_ok:
            raise DeploymentError(
                "circuit artifacts do not match the manifest:\n  "
                + "\n  ".join(zk.integrity_problems),
                hint="Restore circuits/keys/ from git; `zkredit circuits verify` shows more.")
        if zk.dev_keys and not self.settings.is_development:
            raise DeploymentError("the circuit keys come from a development setup")
        return []

    def _contracts(self) -> list[str]:
        existing = Deployment.load_optional(self.directory, self.client.chain_id)
        report = deploy_contracts(self.client, self.config, self.deployer, existing=existing,
                                  configure_all=False)
        self._deployment = report.deployment
        self._deployed = [c for c in report.changes if c.startswith("deployed ")]
        return report.changes + wire(self.client, report.deployment, self.deployer)

    def _roles(self) -> list[str]:
        assert self._deployment is not None
        self._grants = grant_roles(self.client, self._deployment, self.config, self.deployer)
        changes = [g.describe() for g in self._grants]
        if self.config.admin and self.config.admin.lower() != self.deployer.address.lower():
            system = self._deployment.system(self.client, sender=self.deployer)
            for contract in (system.kyc, system.credit, system.zk, system.anchor):
                if contract is None or contract.pending_admin().lower() == \
                        self.config.admin.lower():
                    continue
                contract.begin_admin_transfer(self.config.admin)
                self._admin_started.append(contract)
                changes.append(f"began handing {contract.artifact}'s admin to "
                               f"{self.config.admin} (it accepts after the delay)")
            self._deployment.config["adminHandover"] = self.config.admin
        return changes + configure_trust(self.client, self._deployment, self.config,
                                         self.deployer)

    def _migrations(self) -> list[str]:
        from zkredit.store.db import Database

        changes = []
        for party in self.parties:
            schema = f"{self.schema_prefix}_{party}" if self.schema_prefix else None
            db = Database.open(party, self.settings.database.url, self.settings.app.data_dir,
                               schema=schema)
            try:
                db.ping()
                before = db.current_heads()
                after = db.migrate()
                if tuple(before) != tuple(after):
                    changes.append(f"migrated {party}'s database to {', '.join(after)}")
                    self._undoable.append(f"{party}'s database migration (forward-only)")
            finally:
                db.dispose()
        return changes

    def _agents(self) -> list[str]:
        assert self._deployment is not None
        changes = register_agents(self.client, self._deployment, self.config, self.deployer)
        self._undoable += [f"{c} (identity-registry tokens stay)" for c in changes
                           if c.startswith("registered agent")]
        return changes

    def _validation(self) -> list[str]:
        assert self._deployment is not None
        deployment = self._deployment
        report = check_deployment(self.client, deployment)
        problems = list(report.problems)
        system = deployment.system(self.client)
        for spec in self.config.agents:
            entry = deployment.agents.get(spec.name)
            if entry is None:
                problems.append(f"agent {spec.name} is not registered")
                continue
            wallet = system.identity.get_agent_wallet(int(entry["agentId"]))
            if spec.wallet is not None and wallet != spec.wallet.address:
                problems.append(f"agent {spec.name}'s wallet is {wallet}, expected "
                                f"{spec.wallet.address}")
            if system.identity.agent_uri(int(entry["agentId"])) != spec.uri:
                problems.append(f"agent {spec.name}'s URI is not {spec.uri}")
        if problems:
            raise DeploymentError("validation failed:\n  " + "\n  ".join(problems))
        return []

    # -- dry run ---------------------------------------------------------------------

    def plan(self) -> DeployRun:
        """What a run would do, phase by phase; sends nothing, writes nothing."""
        existing = Deployment.load_optional(self.directory, self.client.chain_id)
        run = DeployRun(self.environment.value, self.client.chain_id,
                        [PhaseReport(name, status="planned") for name in PHASES])
        by = {p.name: p for p in run.phases}
        problems = [*self.known_problems,
                    *deployment_problems(self.config, self.deployer, self._setup_kind())]
        by["preflight"].changes = [f"refused: {p}" for p in problems] or [
            f"deployer {self.deployer.address} on chain {self.client.chain_id}: fit for "
            f"{self.environment.value}"]
        zk = self.zk
        assert zk is not None
        by["circuits"].changes = [f"{len(zk.catalog.specs)} circuits, keys "
                                  f"{'match' if zk.integrity_ok else 'DO NOT match'} the "
                                  f"manifest ({zk.setup_kind})"]
        contracts = planned_contracts(self.client, self.config, self.deployer.address, existing)
        by["contracts"].changes = [f"{what} {key}" if what == "deploy" else f"{key}: {what}"
                                   for key, what in contracts]
        by["contracts"].changes.append("then wire the credit registry to ZKCreditVerifier")
        from zkredit.chain.configure import role_holders

        by["roles"].changes = [f"{role} -> {', '.join(holders)}" for role, holders in
                               role_holders(self.config, self.deployer.address).items()]
        if self.config.admin:
            by["roles"].changes.append(f"hand the admin role over to {self.config.admin}")
        by["roles"].changes.append("then the deny-set, trusted issuers, KYC roots and policy "
                                   "(each only where the chain differs)")
        by["migrations"].changes = [f"bring {p}'s database to head" for p in self.parties]
        recorded = existing.agents if existing else {}
        by["agents"].changes = [
            (f"{a.name}: #{recorded[a.name]['agentId']} at {a.uri}" if a.name in recorded
             else f"register {a.name} at {a.uri}")
            + (f", wallet {a.wallet.address}" if a.wallet is not None else "")
            for a in self.config.agents]
        by["validation"].changes = ["compare on-chain code, wiring, roles and agents with the "
                                    "plan; then write the deployment record"]
        return run
