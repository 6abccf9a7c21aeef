"""The one composition root: builds catalogs, provers and (later) stores and clients.

Nothing is constructed at import time; entry points (CLI commands, agent apps,
workers) call these builders with a :class:`Settings`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zkredit.errors import ArtifactError, ConfigurationError
from zkredit.settings import Settings
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.proof import Proof
from zkredit.zk.prover import Groth16pyBackend, ProverBackend, SnarkjsBackend

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from zkredit.agents.common.envelope import AgentDirectory
    from zkredit.agents.common.runtime import PartyRuntime


def build_catalog(settings: Settings) -> CircuitCatalog:
    return CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)


@dataclass
class ZKServices:
    """The ZK layer as the rest of the system sees it.

    ``integrity_ok`` mirrors the ``zk_circuit_integrity_status`` gauge: when the
    committed artifacts do not match their manifest, proving is disabled and
    :meth:`prover` raises the integrity error instead.
    """

    settings: Settings
    catalog: CircuitCatalog
    integrity_ok: bool = False
    integrity_problems: list[str] = field(default_factory=list)
    setup_kind: str = "ceremony"
    _prover: ProverBackend | None = None

    @classmethod
    def build(cls, settings: Settings) -> ZKServices:
        catalog = build_catalog(settings)
        services = cls(settings, catalog)
        services.check_integrity()
        return services

    def check_integrity(self) -> bool:
        try:
            self.integrity_problems = self.catalog.verify()
            self.setup_kind = self.catalog.setup_kind()
        except ArtifactError as exc:
            self.integrity_problems = [exc.message]
        self.integrity_ok = not self.integrity_problems
        return self.integrity_ok

    @property
    def dev_keys(self) -> bool:
        return self.setup_kind != "ceremony"

    def require_usable(self) -> None:
        """Raise unless proving and verifying may use these keys in this environment."""
        if not self.integrity_ok:
            raise ArtifactError(
                "circuit artifacts do not match the manifest, proving is disabled:\n  "
                + "\n  ".join(self.integrity_problems),
                hint="Restore circuits/keys/ from git, or re-run `zkredit ceremony`.",
            )
        if self.dev_keys and not self.settings.is_development:
            raise ConfigurationError(
                "the keys in circuits/keys come from a single-party development setup; "
                f"they are refused in {self.settings.app.env.value!r}",
                hint="Use the committed ceremony keys (`zkredit ceremony`).",
            )

    def startup_problems(self) -> list[str]:
        """What refuses a start outside development (empty: none)."""
        if self.settings.is_development:
            return []
        problems = [
            f"circuit artifact mismatch: {p} (in {self.catalog.keys_dir})"
            for p in self.integrity_problems
        ]
        if self.integrity_ok and self.dev_keys:
            problems.append(
                f"development ceremony keys in {self.catalog.keys_dir}: a single-party setup "
                "whose maker can forge any proof"
            )
        return problems

    def prover(self) -> ProverBackend:
        """The configured backend; refuses tampered artifacts and unsafe dev keys."""
        self.require_usable()
        if self._prover is None:
            if self.settings.zk.backend == "snarkjs":
                self._prover = SnarkjsBackend(self.catalog)
            else:
                self._prover = Groth16pyBackend(self.catalog, dev_keys=self.dev_keys)
        return self._prover

    def verifier(self) -> Groth16pyBackend:
        """A verifier that re-checks, at every verification, that the keys are usable."""
        return _CheckedVerifier(self)


class _CheckedVerifier(Groth16pyBackend):
    def __init__(self, zk: ZKServices) -> None:
        super().__init__(zk.catalog, dev_keys=zk.dev_keys)
        self._zk = zk

    def verify(self, proof: Proof) -> bool:
        self._zk.require_usable()
        return super().verify(proof)


def build_party_runtime(
    party: str,
    settings: Settings,
    data_dir: Path,
    account: LocalAccount,
    directory: AgentDirectory,
    resolve: Callable[[str], str],
    *,
    chain_id: int,
    chain: Any = None,
    inprocess_workers: int = 2,
    schema_prefix: str | None = None,
    queues: frozenset[str] | None = None,
) -> PartyRuntime:
    """Database (migrated), job queue, audit log, inbox and peers of one agent."""
    from zkredit.agents.common.messaging import Inbox, Peers
    from zkredit.agents.common.runtime import PartyRuntime, party_logger
    from zkredit.jobs.factory import build_queue
    from zkredit.store.db import Database
    from zkredit.store.models import JobRow

    home = data_dir / party
    home.mkdir(parents=True, exist_ok=True)
    schema = f"{schema_prefix}_{party}" if schema_prefix else None
    db = Database.open(party, settings.database.url, data_dir, schema=schema)
    db.ping()
    db.migrate()
    jobs = build_queue(
        settings.queue.redis_url,
        engine=db.engine,
        table=JobRow.__table__,  # type: ignore[arg-type]
        namespace=f"zkredit-{schema_prefix or 'main'}-{party}-{chain_id}",
        worker_threads=inprocess_workers if settings.queue.redis_url else 0,
        inprocess_workers=inprocess_workers,
        queues=queues,
    )
    # Envelopes and replies are bound to this deployment: its identity registry.
    identity = getattr(chain, "identity", None)
    contract = str(identity.address) if identity is not None else None
    return PartyRuntime(
        name=party,
        home=home,
        db=db,
        account=account,
        jobs=jobs,
        directory=directory,
        peers=Peers(party, account, chain_id, resolve, directory=directory, contract=contract),
        inbox=Inbox(party, directory, chain_id, contract=contract, account=account),
        chain_id=chain_id,
        chain=chain,
        logger=party_logger(party, home),
    )


# -- the agents ------------------------------------------------------------------------------

AGENTS = ("worker", "credit", "remittance", "receiver")
SERVICES = ("gateway", *AGENTS)
PROVE_QUEUE = "prove"
"""The job queue the worker agent's proofs go to; ``zkredit worker prover`` consumes it."""


@dataclass(frozen=True)
class AgentOptions:
    """How one agent process runs, beyond its settings (tests and sandboxes tune these)."""

    capture_bodies: bool = False
    """Record received HTTP bodies under ``<home>/logs`` (privacy audits)."""
    rail_latency_s: float = 0.0
    rail_fail_accounts: str | None = None
    schema_prefix: str | None = None
    prover_processes: int = 2
    """Warm proving processes inside the worker agent (when no prover workers consume)."""
    external_provers: bool = False
    """Proofs go to the ``prove`` queue for ``zkredit worker prover`` processes."""
    anchor_every_n: int = 50
    anchor_every_s: int = 60
    inprocess_workers: int = 2
    reconcile_every_s: float = 60.0
    """How often the reconciler resumes work left in a non-terminal state (F08)."""


def agent_urls(settings: Settings) -> dict[str, str]:
    """Where each service is reached, as configured (``agents.<name>_host`` / ``_port``;
    https when the agents serve TLS themselves, trusted through the system store or
    ``SSL_CERT_FILE``)."""
    a = settings.agents
    scheme = "https" if settings.security.tls_enabled else "http"
    out = {}
    for name in SERVICES:
        port = settings.app.port if name == "gateway" else getattr(a, f"{name}_port")
        host = getattr(a, f"{name}_host", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        out[name] = f"{scheme}://{host}:{port}"
    return out


def agent_account(settings: Settings, name: str) -> LocalAccount:
    """The agent's signing key: its keystore; in development without one, its derived
    development wallet. Outside development a label-derived key is refused by name."""
    from zkredit.chain.wallets import agent_dev_wallet
    from zkredit.keystore import Keystore, read_password

    store = Keystore(settings.app.keystore_dir)
    if settings.is_development and not store.exists(name):
        return agent_dev_wallet(name)
    return store.unlock(name, settings.app.read_keystore_password() or read_password())


def startup_problems(settings: Settings, zk: ZKServices) -> list[str]:
    """Every reason this process must not start in its environment (empty: none)."""
    return [*settings.safety_problems(), *zk.startup_problems()]


def require_startable(settings: Settings, zk: ZKServices, what: str) -> None:
    problems = startup_problems(settings, zk)
    if problems:
        raise ConfigurationError(
            f"refusing to start {what} in {settings.app.env.value!r}:\n  "
            + "\n  ".join(problems),
            hint="Fix the items above (`zkredit config check --env "
            f"{settings.app.env.value}` lists the settings ones).",
        )


@dataclass
class ChainContext:
    """The chain an agent talks to and the deployment record on it."""

    client: Any
    deployment: Any

    def system(self, account: LocalAccount | None = None) -> Any:
        if account is not None:
            self.client.add_account(account)
        return self.deployment.system(self.client, account)

    def agent_wallet(self, name: str) -> str:
        from zkredit.chain.errors import DeploymentError

        entry = self.deployment.agents.get(name)
        if not entry:
            raise DeploymentError(
                f"agent {name} is not registered in the deployment on chain "
                f"{self.deployment.chain_id}",
                hint="Run `zkredit deploy` for this environment.")
        return str(entry["wallet"])


def open_chain(settings: Settings, client: Any = None) -> ChainContext:
    """Connect to ``RPC_URL`` (or use ``client``) and load ``deployments/<chainId>.json``."""
    from zkredit.chain.connect import connect
    from zkredit.chain.deployment import Deployment

    client = client or connect(settings)
    deployment = Deployment.load(settings.app.deployments_dir, client.chain_id)
    if deployment.environment != settings.app.env.value:
        raise ConfigurationError(
            f"the deployment on chain {client.chain_id} is a {deployment.environment!r} "
            f"deployment, not {settings.app.env.value!r}",
            hint="Deploy this environment with `zkredit deploy --env "
            f"{settings.app.env.value}`, or point ZKREDIT_DEPLOYMENTS_DIR elsewhere.")
    return ChainContext(client, deployment)


@dataclass
class AgentHost:
    """One agent, built: its runtime, service and app, plus what runs in the background."""

    name: str
    runtime: PartyRuntime
    service: Any
    app: Any
    anchoring: Any = None
    reconciler: Any = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def start(self) -> AgentHost:
        self.runtime.jobs.start()
        for background in (self.anchoring, self.reconciler):
            if background is not None:
                background.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop background work: running jobs finish, or park to resume after their lease."""
        for background in (self.reconciler, self.anchoring):
            if background is not None:
                background.stop()
        self.runtime.jobs.stop(timeout=timeout)
        for close in self.closers:
            close()
        self.runtime.peers.close()
        self.runtime.db.dispose()


def build_agent(
    name: str,
    settings: Settings,
    chain: ChainContext,
    account: LocalAccount,
    zk: ZKServices,
    options: AgentOptions = AgentOptions(),
    *,
    pool: Any = None,
) -> AgentHost:
    """Build agent ``name`` from settings, the deployment record and its key.

    ``pool``: a shared :class:`~zkredit.zk.pool.ProverPool` (several agents in one
    process); by default the worker agent starts its own.
    """
    from zkredit.agents.common.anchoring import AuditAnchoring
    from zkredit.agents.common.messaging import PeerDirectory
    from zkredit.agents.onchain import RegistryDirectory

    if name not in AGENTS:
        raise ConfigurationError(f"unknown agent {name!r}; choose one of {', '.join(AGENTS)}")
    system = chain.system(account)
    registered = chain.agent_wallet(name)
    if registered.lower() != account.address.lower():
        raise ConfigurationError(
            f"the {name} agent's key ({account.address}) is not the wallet registered for it "
            f"on chain {chain.client.chain_id} ({registered})",
            hint="Deploy again after `zkredit keys new`, so that the registry knows the key.")
    directory = RegistryDirectory(system)
    urls = agent_urls(settings)
    resolve = PeerDirectory(overrides={n: urls[n] for n in AGENTS}, lookup=directory.base_url)
    external = name == "worker" and options.external_provers and bool(settings.queue.redis_url)
    runtime = build_party_runtime(
        name, settings, settings.app.data_dir, account, directory, resolve,
        chain_id=chain.client.chain_id, chain=system, schema_prefix=options.schema_prefix,
        inprocess_workers=options.inprocess_workers,
        queues=frozenset({"default"}) if external else None)
    if external != options.external_provers:
        options = dataclasses.replace(options, external_provers=external)
    builder = _BUILDERS[name]
    host: AgentHost = builder(runtime, settings, chain, system, zk, options, urls[name], pool)
    _secure(host, settings, options)
    if system.anchor is not None:
        host.anchoring = AuditAnchoring(runtime, system, options.anchor_every_n,
                                        options.anchor_every_s)
    resume = _RESUMES.get(name)
    if resume is not None:
        from zkredit.agents.common.reconciler import Reconciler

        host.reconciler = Reconciler({name: resume(host.service)},
                                     interval_s=options.reconcile_every_s)
    return host


_RESUMES: dict[str, Callable[[Any], Callable[[], int]]] = {
    "worker": lambda service: service.resume,
    "credit": lambda service: service.resume,
    "remittance": lambda services: lambda: (services.pipeline.resume()
                                            + services.disputes.resume()),
    "receiver": lambda services: services.receiver.resume,
}
"""How to find each agent's ``resume()``: what the reconciler calls (the receiver resumes
only the notices of its dispute refunds; otherwise it acts only when asked)."""


def build_access_store(settings: Settings, schema_prefix: str | None = None) -> Any:
    """The deployment's accounts and tokens (the ``access`` database, migrated)."""
    from zkredit.users.store import AccessStore, open_access_db
    from zkredit.users.tokens import TokenKeys

    keys = TokenKeys.from_settings(settings)
    return AccessStore(open_access_db(settings, schema_prefix), keys,
                       access_ttl_s=settings.security.access_token_ttl_s,
                       refresh_ttl_s=settings.security.refresh_token_ttl_s)


def _secure(host: AgentHost, settings: Settings, options: AgentOptions) -> None:
    """Access control and request hygiene on the agent's app (see ``common.security``)."""
    from zkredit.agents.common.replay import SqlReplayCache
    from zkredit.agents.common.security import secure_agent_app

    store = build_access_store(settings, options.schema_prefix)
    secure_agent_app(host.app, host.name, settings, store, namespace=options.schema_prefix)
    host.runtime.inbox.replay = SqlReplayCache(store.db)  # a restart forgets no envelope
    host.closers.append(store.db.dispose)


def _card(name: str, runtime: PartyRuntime, system: Any, url: str) -> Any:
    from zkredit.agents.common.app import AgentCard

    entry = system.deployment.agents.get(name) or {}
    return AgentCard(
        name=f"ZKredit {name} agent", description=f"The {name} agent.", url=url,
        wallet=runtime.account.address, agent_id=entry.get("agentId"),
        registry=str(system.identity.address), chain_id=runtime.chain_id)


def _worker_service(runtime: PartyRuntime, settings: Settings, chain: ChainContext,
                    system: Any, zk: ZKServices, options: AgentOptions, pool: Any
                    ) -> tuple[Any, list[Callable[[], None]]]:
    """The worker agent's service (no job kinds registered yet) and what closes it."""
    from zkredit.agents.onchain import ChainTrust, submission_signer
    from zkredit.agents.worker.service import WorkerService
    from zkredit.agents.worker.vault import Keyring
    from zkredit.agents.worker.vaultstore import Vault

    closers: list[Callable[[], None]] = []
    shared: dict[str, Any] = {"pool": pool}

    def prover() -> ProverBackend:
        from zkredit.zk.pool import PooledProver, ProverPool

        zk.require_usable()
        if shared["pool"] is None:
            pool = ProverPool(zk.catalog, options.prover_processes)
            shared["pool"] = pool
            closers.append(pool.close)
        return PooledProver(shared["pool"], zk.verifier())

    worker = WorkerService(
        runtime,
        Vault(runtime.db, Keyring.from_settings(settings.security.encryption_key,
                                                settings.security.encryption_key_previous,
                                                development=settings.is_development)),
        prover,
        submission_signer(str(system.zk.address), chain.client.chain_id,
                          chain.agent_wallet("credit")),
        ChainTrust(system).is_trusted_issuer,
        is_policy_active=ChainTrust(system).is_policy_active,
        lender_scope=ChainTrust(system).lender_scope,
        provider_scope=ChainTrust(system).provider_scope,
    )
    return worker, closers


def _worker(runtime: PartyRuntime, settings: Settings, chain: ChainContext, system: Any,
            zk: ZKServices, options: AgentOptions, url: str, pool: Any) -> AgentHost:
    from zkredit.agents.worker.app import create_app

    worker, closers = _worker_service(runtime, settings, chain, system, zk, options, pool)
    worker.register_jobs(prove_queue=PROVE_QUEUE if options.external_provers else None)
    worker.register_messages()
    app = create_app(runtime, worker, _card("worker", runtime, system, url))
    return AgentHost("worker", runtime, worker, app, closers=closers)


def build_prover_worker(settings: Settings, chain: ChainContext, account: LocalAccount,
                        zk: ZKServices, options: AgentOptions = AgentOptions()
                        ) -> AgentHost:
    """A prover worker: the worker party's runtime consuming only the ``prove`` queue.

    It proves with the worker's vault (it is on the worker's side of the privacy line:
    same database, same vault key) and serves no HTTP API. Needs ``REDIS_URL``.
    """
    from zkredit.agents.common.messaging import PeerDirectory
    from zkredit.agents.onchain import RegistryDirectory

    if not settings.queue.redis_url:
        raise ConfigurationError(
            "a prover worker consumes the Redis job queue, and REDIS_URL is not set",
            hint="Set REDIS_URL; without Redis the worker agent proves in its own pool.")
    zk.require_usable()
    system = chain.system(account)
    directory = RegistryDirectory(system)
    runtime = build_party_runtime(
        "worker", settings, settings.app.data_dir, account, directory,
        PeerDirectory(overrides={}, lookup=directory.base_url), chain_id=chain.client.chain_id,
        chain=system, schema_prefix=options.schema_prefix,
        inprocess_workers=options.inprocess_workers, queues=frozenset({PROVE_QUEUE}))
    worker, closers = _worker_service(runtime, settings, chain, system, zk, options, None)
    worker.register_prove_job(PROVE_QUEUE)
    return AgentHost("prover", runtime, worker, None, closers=closers)


def _credit(runtime: PartyRuntime, settings: Settings, chain: ChainContext, system: Any,
            zk: ZKServices, options: AgentOptions, url: str, pool: Any) -> AgentHost:
    from zkredit.agents.credit.app import create_app
    from zkredit.agents.credit.service import CreditService
    from zkredit.agents.onchain import ChainLender

    lender = ChainLender(system, account=runtime.account,
                         agent_id=int(system.deployment.agents["credit"]["agentId"]))
    credit = CreditService(runtime, zk.catalog, lender, _verifier=zk.verifier())
    app = create_app(runtime, credit, _card("credit", runtime, system, url),
                     capture=options.capture_bodies)
    return AgentHost("credit", runtime, credit, app)


def _remittance(runtime: PartyRuntime, settings: Settings, chain: ChainContext, system: Any,
                zk: ZKServices, options: AgentOptions, url: str, pool: Any) -> AgentHost:
    from zkredit.agents.onchain import ChainTrust, ZkUsdSettlement
    from zkredit.agents.remittance import app as remittance

    settlement = None
    if system.zkusd is not None:
        from zkredit.agents.remittance.settlement import SettlementJournal

        settlement = ZkUsdSettlement(system, runtime.account, chain.agent_wallet("receiver"),
                                     journal=SettlementJournal(runtime.db))
    from zkredit.agents.common.egress import EgressPolicy
    from zkredit.agents.worker.vault import Keyring

    services = remittance.build_services(
        runtime, trust=ChainTrust(system), verifier=zk.verifier(), settlement=settlement,
        proof_scope=ChainTrust(system).provider_scope("remittance"),
        public_url=url, webhook_egress=EgressPolicy(public_only=settings.is_production),
        secrets_keyring=Keyring.from_settings(settings.security.encryption_key,
                                              development=settings.is_development))
    app = remittance.create_app(runtime, services, capture=options.capture_bodies)
    return AgentHost("remittance", runtime, services, app, closers=[services.webhooks.close])


def _receiver(runtime: PartyRuntime, settings: Settings, chain: ChainContext, system: Any,
              zk: ZKServices, options: AgentOptions, url: str, pool: Any) -> AgentHost:
    from zkredit.agents.receiver import app as receiver
    from zkredit.agents.receiver.rails import sandbox_rails
    from zkredit.agents.worker.vault import Keyring

    services = receiver.build_services(
        runtime, public_url=url,
        secrets_keyring=Keyring.from_settings(settings.security.encryption_key,
                                              development=settings.is_development),
        rails=sandbox_rails(latency_s=options.rail_latency_s,
                            fail_accounts=options.rail_fail_accounts))
    app = receiver.create_app(runtime, services, capture=options.capture_bodies)
    return AgentHost("receiver", runtime, services, app)


_BUILDERS: dict[str, Callable[..., AgentHost]] = {
    "worker": _worker, "credit": _credit, "remittance": _remittance, "receiver": _receiver,
}


def build_gateway(settings: Settings, urls: dict[str, str] | None = None) -> Any:
    """The gateway app over the configured agents."""
    from zkredit.agents.gateway.app import create_app
    from zkredit.web.app import WebConfig, mount

    targets = urls or agent_urls(settings)
    web = WebConfig(settings, {n: targets[n] for n in AGENTS})
    return create_app(lambda: {n: targets[n] for n in AGENTS},
                      web=lambda app: mount(app, web))
