"""A whole deployment on this machine, as an operator runs it: one process per service.

:class:`LocalCluster` makes keystores (`zkredit keys new`), issuers (`zkredit issuer
init`), deploys the test environment (`zkredit deploy --env test`) and runs each agent,
the gateway and prover workers as `zkredit serve NAME` / `zkredit worker prover`
processes that it can stop, kill and restart. The fault drill (:mod:`.chaos`) and the
per-agent end-to-end test run on it. Everything goes through the command line and HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from zkredit.errors import ZKreditError
from zkredit.settings import project_root

SERVICES = ("worker", "credit", "remittance", "receiver", "gateway")
OFFSETS = {"gateway": 0, "worker": 1, "credit": 2, "remittance": 3, "receiver": 4}
PASSWORD = "local cluster keystore password"


class ClusterError(ZKreditError):
    """Raised when a cluster command or service does not do what it must."""


def anvil_deployer_key() -> str:
    """Anvil's first funded account: a test chain's deployer (public, test env only)."""
    from eth_account import Account

    from zkredit.chain.backends import ANVIL_MNEMONIC

    Account.enable_unaudited_hdwallet_features()
    acct = Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/0")
    return "0x" + bytes(acct.key).hex()


@dataclass
class LocalCluster:
    root: Path
    rpc_url: str
    port_base: int
    database_url: str | None = None
    redis_url: str | None = None
    prefix: str = field(default_factory=lambda: f"zkc_{uuid.uuid4().hex[:8]}")
    rail_latency_ms: int = 200
    rail_fail_accounts: str | None = None
    chain_id: int = 1337
    secrets: dict[str, str] = field(default_factory=lambda: {
        "JWT_SECRET": uuid.uuid4().hex * 2, "ENCRYPTION_KEY": uuid.uuid4().hex * 2})
    extra_env: dict[str, str] = field(default_factory=dict)
    """More variables for every command and service (a load test lifts RATE_LIMIT_REQUESTS)."""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    args: dict[str, list[str]] = field(default_factory=dict)

    # -- the environment -------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        root = project_root()
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)]),
            "ZKREDIT_ENV": "test",
            "ZKREDIT_DATA_DIR": str(self.root / "data"),
            "ZKREDIT_DEPLOYMENTS_DIR": str(self.root / "deployments"),
            "ZKREDIT_KEYSTORE_DIR": str(self.root / "keystores"),
            "ZKREDIT_KEYSTORE_PASSWORD": PASSWORD,
            **self.secrets,  # one environment: every process shares them
            "RPC_URL": self.rpc_url,
            "CHAIN_ID": str(self.chain_id),
            "DATABASE_URL": self.database_url or "",
            "REDIS_URL": self.redis_url or "",
            "PRIVATE_KEY": anvil_deployer_key(),
            **self.extra_env,
        }

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port_base + OFFSETS[name]}"

    def cli(self, *args: str, timeout: float = 300, stdin: str | None = None,
            ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        """Run ``zkredit ARGS``; raise with its output unless it exits with one of ``ok``."""
        done = subprocess.run([sys.executable, "-m", "zkredit.cli.main", *args],
                              env=self.env, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout, input=stdin)
        if done.returncode not in ok:
            raise ClusterError(f"zkredit {' '.join(args)} exited {done.returncode}\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def setup(self) -> dict[str, Any]:
        """Keystores, issuers and the test deployment; returns the deploy report."""
        for agent in ("worker", "credit", "remittance", "receiver"):
            self.cli("keys", "new", "--agent", agent)
        self.cli("issuer", "init", "--data-dir", str(self.root / "data"))
        report: dict[str, Any] = json.loads(self.cli(
            "deploy", "--env", "test", "--json", "--schema-prefix", self.prefix,
            "--issuers-dir", str(self.issuers_dir)).stdout)
        self.add_users()
        return report

    def fund_floats(self) -> None:
        """Prefund the payout partner in every corridor currency, as an operator does:
        ``zkredit ledger fund-float`` against the running agents' databases (review F14)."""
        from zkredit.domain.money import Money
        from zkredit.ops.treasury import SEED_FLOAT_MAJOR, corridor_currencies

        for code in corridor_currencies():
            amount = Money.of(SEED_FLOAT_MAJOR, code)
            where = ["--database-url", self.database_url] if self.database_url else []
            self.cli("ledger", "fund-float", "--currency", code, "--amount-minor",
                     str(amount.minor), "--reference", f"cluster-seed-{code}", *where,
                     "--schema-prefix", self.prefix, "--data-dir", str(self.root / "data"))

    def add_users(self) -> None:
        """The token-signing key and the demo's users, made as an operator makes them
        (``zkredit users keygen``, ``zkredit users add --password-stdin``)."""
        from zkredit.demo.users import DEMO_USERS, demo_password

        self.cli("users", "keygen", "--env", "test")
        for name, roles in DEMO_USERS.items():
            self.cli("users", "add", name, "--role", ",".join(sorted(roles)),
                     "--password-stdin", "--env", "test", "--schema-prefix", self.prefix,
                     stdin=demo_password(name) + "\n")

    @property
    def issuers_dir(self) -> Path:
        return self.root / "data" / "issuers"

    # -- processes -----------------------------------------------------------------------

    def start(self, name: str, *, external_provers: bool = False) -> None:
        args = ["serve", name, "--env", "test", "--port-base", str(self.port_base),
                "--schema-prefix", self.prefix, "--rail-latency-ms", str(self.rail_latency_ms)]
        if self.rail_fail_accounts:
            args += ["--rail-fail-accounts", self.rail_fail_accounts]
        if external_provers and name == "worker":
            args.append("--external-provers")
        self._spawn(name, args)

    def start_prover(self, n: int) -> None:
        self._spawn(f"prover-{n}", ["worker", "prover", "--env", "test", "--schema-prefix",
                                    self.prefix, "--processes", "1", "--metrics-port", "0"])

    def _spawn(self, name: str, args: list[str]) -> None:
        self.args[name] = args
        with (self.root / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "zkredit.cli.main", *args],
                env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)

    def restart(self, name: str) -> None:
        self._spawn(name, self.args[name])

    def kill(self, name: str) -> None:
        """SIGKILL the service's process group (its proving processes die with it)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def logs(self, chars: int = 2500) -> str:
        parts = []
        for name in self.procs:
            path = self.root / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the gateway reports every agent healthy; raise if a service exits."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as http:
            while True:
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        raise ClusterError(f"{name} exited {proc.returncode}\n{self.logs()}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url('gateway')}/api/health").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ClusterError(f"not healthy within {timeout:.0f} s\n{self.logs()}")
                time.sleep(0.5)

    def stop(self, timeout: float = 45) -> dict[str, int]:
        """SIGTERM every service; their exit codes (a graceful stop exits 0)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait()
        return codes


@dataclass
class ExternalParties:
    """The issuers and the KYC provider of the cluster's environment (their own generated
    keys, outside every agent), and the borrower paying an installment: what
    ``zkredit.demo.flows`` needs besides the worker agent."""

    registry: Any
    system: Any
    credit_url: str

    @classmethod
    def of(cls, cluster: LocalCluster) -> ExternalParties:
        from zkredit.chain.client import ChainClient
        from zkredit.chain.deployment import Deployment
        from zkredit.issuers.registry import IssuerRegistry

        client = ChainClient.connect(cluster.rpc_url)
        deployment = Deployment.load(cluster.root / "deployments", client.chain_id)
        system = deployment.system(client, client.add_account(anvil_deployer_key()))
        return cls(IssuerRegistry.open(cluster.issuers_dir), system, cluster.url("credit"))

    def publish_kyc_root(self) -> str:
        tx: str = self.registry.kyc_provider().publish(self.system.kyc)  # deployer: provider
        self.registry.save()
        return tx

    def today(self) -> Any:
        import datetime as dt

        return dt.datetime.fromtimestamp(self.system.client.now(), dt.UTC).date()

    def repay_installment(self, loan_id: str) -> dict[str, Any]:
        from zkredit.demo.flows import pay_next_installment
        from zkredit.demo.users import LENDER, bearer

        return pay_next_installment(self.credit_url, bearer(self.credit_url, LENDER), loan_id)
