"""The whole system, live: chain, deployment, four agents and the gateway, on real ports.

Used by ``zkredit demo``, ``zkredit serve all`` and the end-to-end tests. Defaults are
embedded: SQLite under ``<data_dir>/<party>/``, the in-process py-evm chain, the
in-process job queue. ``rpc_url``, ``DATABASE_URL`` and ``REDIS_URL`` switch each to a
real service.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.agents.common.app import AgentCard
from zkredit.agents.common.messaging import PeerDirectory
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.agents.onchain import (
    ChainAnchorer,
    ChainLender,
    ChainRootPublisher,
    ChainTrust,
    RegistryDirectory,
    submission_signer,
)
from zkredit.bootstrap import build_catalog, build_party_runtime
from zkredit.chain.client import ChainClient
from zkredit.chain.config import development_config
from zkredit.chain.deployer import deploy
from zkredit.chain.deployment import System
from zkredit.chain.wallets import read_dev_keys
from zkredit.issuers.registry import IssuerRegistry
from zkredit.jobs.api import JobId
from zkredit.settings import Settings, load_settings
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.pool import PooledProver, ProverPool
from zkredit.zk.prover import Groth16pyBackend

AGENTS = ("worker", "credit", "remittance", "receiver")
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
    """Which services this process runs (``zkredit serve <agent>`` runs one)."""
    schema_prefix: str | None = None
    """PostgreSQL schemas and Redis namespaces get this prefix (tests run side by side)."""
    rail_latency_s: float = 0.0
    rail_fail_accounts: str | None = None
    anchor_every_n: int = 50
    anchor_every_s: int = 60
    settings: Settings = field(init=False)
    ports: dict[str, int] = field(default_factory=dict)
    runtimes: dict[str, PartyRuntime] = field(default_factory=dict)
    servers: dict[str, ThreadedServer] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    client: ChainClient | None = None
    system: System | None = None
    issuers: IssuerRegistry | None = None
    catalog: CircuitCatalog | None = None
    pool: ProverPool | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> LiveSystem:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ports = self.ports or choose_ports(self.seed_ports)
        self.settings = load_settings(
            database={"url": self.database_url} if self.database_url else {},
            queue={"redis_url": self.redis_url} if self.redis_url else {},
            agents={f"{n}_port": self.ports[n] for n in AGENTS},
            app={"data_dir": self.data_dir},
        )
        self.catalog = build_catalog(self.settings)
        self.client = (ChainClient.connect(self.rpc_url) if self.rpc_url
                       else ChainClient.embedded())
        deployer = self.client.dev_accounts()[0]
        self.issuers = IssuerRegistry.open(self.data_dir / "issuers", demo_keys=True)
        chain_dir = self.data_dir / "chain"
        config = development_config(self.settings, self.issuers)
        report = deploy(self.client, config, deployer, chain_dir)
        self.system = report.deployment.system(self.client, deployer)
        wallets = read_dev_keys(chain_dir, self.client.chain_id)
        directory = RegistryDirectory(self.system)
        resolve = PeerDirectory(
            overrides={n: f"http://127.0.0.1:{self.ports[n]}" for n in AGENTS},
            lookup=directory.base_url,
        )
        chain_id = self.client.chain_id
        for name in AGENTS:
            if name not in self.only:
                continue
            self.runtimes[name] = build_party_runtime(
                name, self.settings, self.data_dir, wallets[name], directory, resolve,
                chain_id=chain_id, chain=self.system, schema_prefix=self.schema_prefix,
            )
        (self.data_dir / "gateway" / "logs").mkdir(parents=True, exist_ok=True)
        self._build_apps(directory, deployer)
        self._register_anchoring()
        for runtime in self.runtimes.values():
            runtime.jobs.start()
        self._anchor_stop = threading.Event()
        self._anchor_thread = threading.Thread(target=self._anchor_loop, daemon=True,
                                               name="audit-anchoring")
        self._anchor_thread.start()
        return self

    # -- audit anchoring: a job per party, scheduled every N entries or T seconds ---------

    def _register_anchoring(self) -> None:
        from zkredit.chain.contracts.base import role

        assert self.system is not None and self.client is not None
        system, chain_id = self.system, self.client.chain_id
        for runtime in self.runtimes.values():
            if system.anchor is not None:
                system.anchor.ensure_role(role("ANCHOR_ROLE"), runtime.account.address)

            def anchor_job(payload: dict[str, Any], rt: PartyRuntime = runtime
                           ) -> dict[str, Any]:
                record = rt.audit.anchor_head(ChainAnchorer(system, rt.account), chain_id)
                return {"tx_hash": record.tx_hash if record else None}

            runtime.jobs.register("audit.anchor", anchor_job, max_attempts=8)

    def _anchor_loop(self) -> None:
        while not self._anchor_stop.wait(1.0):
            self.schedule_anchors()

    def schedule_anchors(self, *, force: bool = False) -> dict[str, JobId]:
        """Enqueue an anchoring job for each party whose log is due (idempotent per head)."""
        now = dt.datetime.now(dt.UTC)
        jobs: dict[str, JobId] = {}
        for name, runtime in self.runtimes.items():
            audit = runtime.audit
            if force or audit.pending_anchor(self.anchor_every_n, self.anchor_every_s, now):
                head = audit.head()
                if head is not None:
                    jobs[name] = runtime.jobs.enqueue("audit.anchor", {"seq": head.seq},
                                                      dedup_key=f"anchor:{head.seq}")
        return jobs

    def _card(self, name: str, directory: RegistryDirectory) -> AgentCard:
        return AgentCard(
            name=f"ZKredit {name} agent", description=f"The {name} agent.",
            url=f"http://127.0.0.1:{self.ports[name]}",
            wallet=self.runtimes[name].account.address, agent_id=directory.agent_id(name),
            registry=str(self.system.identity.address) if self.system else None,
            chain_id=self.client.chain_id if self.client else None,
        )

    def _build_apps(self, directory: RegistryDirectory, deployer: Any) -> None:
        from zkredit.agents.credit.app import create_app as credit_app
        from zkredit.agents.credit.service import CreditService
        from zkredit.agents.gateway.app import create_app as gateway_app
        from zkredit.agents.receiver import app as receiver
        from zkredit.agents.remittance import app as remittance
        from zkredit.agents.worker.app import create_app as worker_app
        from zkredit.agents.worker.service import WorkerService
        from zkredit.agents.worker.vault import Keyring
        from zkredit.agents.worker.vaultstore import Vault

        assert self.system is not None and self.catalog is not None
        system, catalog = self.system, self.catalog
        trust = ChainTrust(system)
        verifier = Groth16pyBackend(catalog)
        rt = self.runtimes
        only = self.only
        apps: dict[str, Any] = {}

        def prover() -> PooledProver:
            if self.pool is None:
                self.pool = ProverPool(catalog, self.prover_workers)
            return PooledProver(self.pool, verifier)

        if "worker" in only:
            worker = WorkerService(
                rt["worker"],
                Vault(rt["worker"].db, Keyring.from_settings(
                    self.settings.security.encryption_key,
                    development=self.settings.is_development)),
                prover,
                submission_signer(str(system.zk.address), system.client.chain_id,
                                  read_dev_keys(self.data_dir / "chain",
                                                system.client.chain_id)["credit"].address),
                trust.is_trusted_issuer,
            )
            worker.register_jobs()
            self.services["worker"] = worker
            apps["worker"] = worker_app(rt["worker"], worker, self._card("worker", directory))
        if "credit" in only:
            lender = ChainLender(system, account=rt["credit"].account,
                                 agent_id=directory.agent_id("credit") or 0)
            credit = CreditService(rt["credit"], catalog, lender)
            self.services["credit"] = credit
            apps["credit"] = credit_app(rt["credit"], credit, self._card("credit", directory),
                                        capture=self.capture_bodies)
        if "remittance" in only:
            settlement = None
            if system.zkusd is not None:
                from zkredit.agents.onchain import ZkUsdSettlement

                account = rt["remittance"].account
                if system.zkusd.balance_of(account.address) < 10**9:
                    system.zkusd.mint(account.address, 10**12)  # demo float, test token
                partner = read_dev_keys(self.data_dir / "chain",
                                        system.client.chain_id)["receiver"].address
                settlement = ZkUsdSettlement(system, account, partner)
            remit = remittance.build_services(
                rt["remittance"], trust=trust, verifier=verifier, settlement=settlement,
                public_url=f"http://127.0.0.1:{self.ports['remittance']}")
            self.services["remittance"] = remit
            apps["remittance"] = remittance.create_app(rt["remittance"], remit,
                                                       capture=self.capture_bodies)
        if "receiver" in only:
            from zkredit.agents.receiver.rails import sandbox_rails

            recv = receiver.build_services(
                rt["receiver"], public_url=f"http://127.0.0.1:{self.ports['receiver']}",
                rails=sandbox_rails(latency_s=self.rail_latency_s,
                                    fail_accounts=self.rail_fail_accounts))
            self.services["receiver"] = recv
            apps["receiver"] = receiver.create_app(rt["receiver"], recv,
                                                   capture=self.capture_bodies)
        if "gateway" in only:
            apps["gateway"] = gateway_app(lambda: {n: f"http://127.0.0.1:{self.ports[n]}"
                                                   for n in AGENTS})
        for name, app in apps.items():
            self.servers[name] = ThreadedServer(app, self.ports[name]).start()

    def stop(self) -> None:
        if getattr(self, "_anchor_stop", None) is not None:
            self._anchor_stop.set()
        for server in self.servers.values():
            server.stop()
        for runtime in self.runtimes.values():
            runtime.jobs.stop(timeout=5)
            runtime.peers.close()
            runtime.db.dispose()
        if self.pool is not None:
            self.pool.close()

    def __enter__(self) -> LiveSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the demo flows need ---------------------------------------------------------

    @property
    def registry(self) -> IssuerRegistry:
        assert self.issuers is not None, "the system is not started"
        return self.issuers

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['worker']}"

    def publish_kyc_root(self) -> str:
        assert self.system is not None and self.issuers is not None
        return self.issuers.kyc_provider().publish(ChainRootPublisher(self.system))

    def today(self) -> dt.date:
        assert self.client is not None
        return dt.datetime.fromtimestamp(self.client.now(), dt.UTC).date()

    def anchor_audit_logs(self) -> dict[str, str]:
        """Anchor every agent's current audit head now, through the anchoring jobs."""
        out = {}
        for name, job in self.schedule_anchors(force=True).items():
            status = self.runtimes[name].jobs.wait(job, timeout=60)
            tx = (status.result or {}).get("tx_hash")
            if tx:
                out[name] = str(tx)
        return out

    def repay_installment(self, loan_id: str) -> dict[str, Any]:
        """The borrower pays an installment; the lender records it (its HTTP API)."""
        import httpx

        url = f"http://127.0.0.1:{self.ports['credit']}/loans/{loan_id}/repayments"
        r = httpx.post(url, timeout=60)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

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
