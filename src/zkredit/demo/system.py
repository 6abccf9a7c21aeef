"""The whole system, live, in one process: chain, deployment, four agents and the gateway.

Used by ``zkredit demo``, benchmarks and the end-to-end tests. It is the development
environment on the product's runtime: the deployment goes through the deploy manager
(:mod:`zkredit.ops.deploy`) and every agent is built by the composition root
(:func:`zkredit.bootstrap.build_agent`), exactly as ``zkredit serve AGENT`` builds it in
its own process. What the demo adds is data: its issuers (label-derived keys) and its
KYC tree, seeded from :mod:`zkredit.scenarios`.

Defaults are embedded: SQLite under ``<data_dir>/<party>/``, the in-process py-evm
chain, the in-process job queue. ``rpc_url``, ``database_url`` and ``redis_url``
switch each to a real service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.onchain import ChainRootPublisher, submission_signer
from zkredit.bootstrap import (
    AGENTS,
    AgentHost,
    AgentOptions,
    ChainContext,
    ZKServices,
    agent_account,
    build_agent,
    build_gateway,
    require_startable,
)
from zkredit.chain.client import ChainClient
from zkredit.chain.config import development_config
from zkredit.chain.deployment import Deployment, System
from zkredit.domain.money import Money
from zkredit.issuers.registry import IssuerRegistry
from zkredit.ops.deploy import DeployManager
from zkredit.scenarios import demo_kyc_tree, demo_registry
from zkredit.settings import Settings, load_settings
from zkredit.zk.manifest import CircuitCatalog

SEED_PORTS = {"gateway": 3000, "worker": 3001, "credit": 3002, "remittance": 3003,
              "receiver": 3004}


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_ports(seed: bool) -> dict[str, int]:
    """The seed's ports when all are free (and asked for), else free ephemeral ones."""
    if seed and all(_port_free(p) for p in SEED_PORTS.values()):
        return dict(SEED_PORTS)
    return {name: free_port() for name in SEED_PORTS}


def settings_for(data_dir: Path, ports: dict[str, int], *, env: str = "development",
                 database_url: str | None = None, redis_url: str | None = None,
                 rpc_url: str | None = None, deployments_dir: Path | None = None,
                 check: bool = True, rate_limit: int | None = None) -> Settings:
    """The environment's settings with this run's data directory, ports and services."""
    return load_settings(
        check=check, env=env,
        database={"url": database_url} if database_url else {},
        queue={"redis_url": redis_url} if redis_url else {},
        chain={"rpc_url": rpc_url} if rpc_url else {},
        agents={f"{n}_port": ports[n] for n in AGENTS},
        security={"rate_limit_requests": rate_limit} if rate_limit else {},
        app={"data_dir": data_dir, "port": ports["gateway"],
             **({"deployments_dir": deployments_dir} if deployments_dir else {})},
    )


@dataclass
class LiveSystem:
    data_dir: Path
    rpc_url: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    seed_ports: bool = False
    capture_bodies: bool = True
    prover_workers: int = 2
    only: frozenset[str] = frozenset(SEED_PORTS)
    """Which services this process runs."""
    schema_prefix: str | None = None
    """PostgreSQL schemas and Redis namespaces get this prefix (tests run side by side)."""
    rail_latency_s: float = 0.0
    rail_fail_accounts: str | None = None
    anchor_every_n: int = 50
    anchor_every_s: int = 60
    rate_limit_requests: int | None = None
    """RATE_LIMIT_REQUESTS for this run (benchmarks lift it)."""
    settings: Settings = field(init=False)
    ports: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, AgentHost] = field(default_factory=dict)
    servers: dict[str, ThreadedServer] = field(default_factory=dict)
    client: ChainClient | None = None
    system: System | None = None
    issuers: IssuerRegistry | None = None
    catalog: CircuitCatalog | None = None
    _gateway: Any = None

    @property
    def runtimes(self) -> dict[str, PartyRuntime]:
        return {name: host.runtime for name, host in self.hosts.items()}

    @property
    def services(self) -> dict[str, Any]:
        return {name: host.service for name, host in self.hosts.items()}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> LiveSystem:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ports = self.ports or choose_ports(self.seed_ports)
        self.settings = settings_for(
            self.data_dir, self.ports, database_url=self.database_url,
            redis_url=self.redis_url, rpc_url=self.rpc_url,
            deployments_dir=self.data_dir / "chain", rate_limit=self.rate_limit_requests)
        zk = ZKServices.build(self.settings)
        require_startable(self.settings, zk, "the demo")
        self.catalog = zk.catalog
        self.client = (ChainClient.connect(self.rpc_url) if self.rpc_url
                       else ChainClient.embedded())
        deployer = self.client.dev_accounts()[0]
        self.issuers = demo_registry(self.data_dir / "issuers")
        agents = tuple(n for n in AGENTS if n in self.only)
        config = development_config(self.settings, self.issuers,
                                    kyc_roots=(int(demo_kyc_tree().root),))
        DeployManager(self.settings, self.client, deployer, config,
                      self.settings.app.deployments_dir, zk=zk,
                      schema_prefix=self.schema_prefix, parties=agents).run()
        deployment = Deployment.load(self.settings.app.deployments_dir, self.client.chain_id)
        self.system = deployment.system(self.client, deployer)
        chain = ChainContext(self.client, deployment)
        options = AgentOptions(
            capture_bodies=self.capture_bodies, rail_latency_s=self.rail_latency_s,
            rail_fail_accounts=self.rail_fail_accounts, schema_prefix=self.schema_prefix,
            prover_processes=self.prover_workers, anchor_every_n=self.anchor_every_n,
            anchor_every_s=self.anchor_every_s)
        (self.data_dir / "gateway" / "logs").mkdir(parents=True, exist_ok=True)
        self._seed_users()
        for name in agents:
            self.hosts[name] = build_agent(name, self.settings, chain,
                                           agent_account(self.settings, name), zk, options)
            self.servers[name] = ThreadedServer(self.hosts[name].app, self.ports[name]).start()
        if "gateway" in self.only:
            self._gateway = build_gateway(self.settings)
            self.servers["gateway"] = ThreadedServer(self._gateway, self.ports["gateway"]).start()
        self._fund_floats()
        for host in self.hosts.values():
            host.start()
        return self

    def _fund_floats(self) -> None:
        """Prefund the payout partner in every corridor currency (review F14), through
        the operator's path (``zkredit ledger fund-float``); once per data directory."""
        from zkredit.ops.treasury import SEED_FLOAT_MAJOR, corridor_currencies, fund_float

        remittance, receiver = self.hosts.get("remittance"), self.hosts.get("receiver")
        if remittance is None and receiver is None:
            return
        for code in corridor_currencies():
            fund_float(remittance.runtime.db if remittance else None,
                       receiver.runtime.db if receiver else None,
                       Money.of(SEED_FLOAT_MAJOR, code), f"demo-seed-{code}")

    def _seed_users(self) -> None:
        """The demo's people and staff (development only: their passwords are public)."""
        from zkredit.bootstrap import build_access_store
        from zkredit.demo.users import seed_demo_users

        store = build_access_store(self.settings, self.schema_prefix)
        try:
            seed_demo_users(store)
        finally:
            store.db.dispose()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        if self._gateway is not None:
            self._gateway.state.prober.stop()
        for host in self.hosts.values():
            host.stop(timeout=5)

    def __enter__(self) -> LiveSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def anchor_audit_logs(self) -> dict[str, str]:
        """Anchor every agent's current audit head now, through the anchoring jobs."""
        out = {}
        for name, host in self.hosts.items():
            tx = host.anchoring.anchor_now() if host.anchoring is not None else None
            if tx:
                out[name] = tx
        return out

    # -- what the demo flows need ---------------------------------------------------------

    @property
    def registry(self) -> IssuerRegistry:
        assert self.issuers is not None, "the system is not started"
        return self.issuers

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['worker']}"

    def publish_kyc_root(self) -> str:
        """The KYC provider (here: the deployer, who holds the role) publishes its root."""
        assert self.system is not None and self.issuers is not None
        tx = self.issuers.kyc_provider().publish(ChainRootPublisher(self.system))
        self.issuers.save()
        return tx

    def today(self) -> dt.date:
        assert self.client is not None
        return dt.datetime.fromtimestamp(self.client.now(), dt.UTC).date()

    def repay_installment(self, loan_id: str) -> dict[str, Any]:
        """The borrower pays an installment; the lender records it (its HTTP API)."""
        from zkredit.demo.flows import pay_next_installment
        from zkredit.demo.users import LENDER, bearer

        base = f"http://127.0.0.1:{self.ports['credit']}"
        return pay_next_installment(base, bearer(base, LENDER), loan_id)

    def _scenario2_material(self, worker_app_id: str) -> tuple[Any, dict[str, Any], Any]:
        from zkredit.agents.worker.models import LoanApplicationRow
        from zkredit.zk.proof import Proof

        worker = self.services["worker"]
        with self.runtimes["worker"].db.session() as s:
            row = s.get(LoanApplicationRow, worker_app_id)
            assert row is not None and row.proofs
            proofs = {c: Proof.from_snarkjs(p["proof"], p["public"], c)
                      for c, p in row.proofs.items()}
            opened = (row.explanation or {})["opened"]
            identity = worker.vault.identity(row.identity_id)
        return proofs, opened, identity

    def replay_offchain(self, worker_app: dict[str, Any]) -> dict[str, Any]:
        """Scenario 4: the same proofs, sent to the lender again under a new application."""
        from zkredit.agents.common.messaging import PeerError

        proofs, _opened, identity = self._scenario2_material(worker_app["application_id"])
        peers = self.runtimes["worker"].peers
        fresh = peers.send("credit", "credit.application.open", {
            "worker_ref": f"replay-{worker_app['application_id']}",
            "amount_minor": worker_app["amount_minor"], "currency": worker_app["currency"],
            "months": worker_app["months"], "wallet": identity.wallet.address})
        wire = {c: {"proof": p.snarkjs_proof(), "public": p.snarkjs_public()}
                for c, p in proofs.items()}
        try:
            reply = peers.send("credit", "credit.application.submit", {
                "application_id": fresh["application_id"], "proofs": wire, "missing": [],
                "submission": None})
        except PeerError as exc:
            return {"rejected": True, "summary": f"refused: {exc.message}"}
        rejected = reply.get("status") != "approved"
        reasons = "; ".join(r["message"] for r in reply.get("reasons", []))
        return {"rejected": rejected, "status": reply.get("status"),
                "summary": f"{reply.get('status')}: {reasons}", "notes": reply.get("notes")}

    def replay_onchain(self, worker_app_id: str) -> dict[str, Any]:
        """Scenario 4: the same proofs submitted to ZKCreditVerifier a second time."""
        from zkredit.chain.errors import TxReverted

        proofs, opened, identity = self._scenario2_material(worker_app_id)
        credit = self.services["credit"]
        wire = {"proofs": {c: {"proof": p.snarkjs_proof(), "public": p.snarkjs_public()}
                           for c, p in proofs.items()}}
        signer = submission_signer(credit.chain.verifier_address, credit.chain.chain_id,
                                   self.runtimes["credit"].account.address)
        submission = signer(identity.wallet, wire, opened)
        try:
            credit.chain.attest(proofs, credit.policy_for(opened["policy"]["currency"]),
                                identity.wallet.address, submission)
        except TxReverted as exc:
            return {"rejected": True, "error": exc.name,
                    "summary": f"reverted with {exc.name}"}
        return {"rejected": False, "summary": "the chain accepted a replay!"}
