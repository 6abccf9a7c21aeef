"""The production runtime, end to end: each agent and the gateway in its own
``zkredit serve NAME --env test`` process, on anvil, PostgreSQL and Redis, with keystores
made by ``zkredit keys new``, issuers made by ``zkredit issuer init`` and the contracts
deployed by ``zkredit deploy --env test``. The worker agent sends its proofs to two
``zkredit worker prover`` processes on the Redis queue. Scenarios 1 and 2 run through
them, and both prover workers prove some of the five statements.

Everything is driven through the command line and HTTP, as an operator would; the test
plays the worker's own app and the external issuers (``zkredit.demo.flows``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from eth_account import Account

from tests.conftest import ROOT, require
from tests.integration.e2e.test_crash_resume import pick_port_base
from tests.integration.e2e.test_crash_resume_services import (
    PG_URL,
    REDIS_URL,
    _drop,
    _pg_reachable,
    _redis_reachable,
)
from zkredit.chain.backends import ANVIL_MNEMONIC
from zkredit.chain.client import ChainClient
from zkredit.chain.deployment import Deployment, System
from zkredit.demo import flows
from zkredit.issuers.registry import IssuerRegistry

pytestmark = [
    pytest.mark.slow,
    pytest.mark.anvil,
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
]

SERVICES = ("worker", "credit", "remittance", "receiver", "gateway")
PASSWORD = "per-agent e2e keystore password"


@dataclass
class Operator:
    """Runs ``zkredit`` commands the way an operator would, in one environment."""

    root: Path
    rpc_url: str
    prefix: str
    port_base: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=lambda: {
        "JWT_SECRET": uuid.uuid4().hex * 2, "ENCRYPTION_KEY": uuid.uuid4().hex * 2})

    @property
    def env(self) -> dict[str, str]:
        Account.enable_unaudited_hdwallet_features()
        deployer = Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/0")
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "ZKREDIT_ENV": "test",
            "ZKREDIT_DATA_DIR": str(self.root / "data"),
            "ZKREDIT_DEPLOYMENTS_DIR": str(self.root / "deployments"),
            "ZKREDIT_KEYSTORE_DIR": str(self.root / "keystores"),
            "ZKREDIT_KEYSTORE_PASSWORD": PASSWORD,
            **self.secrets,  # one environment: every process shares them
            "RPC_URL": self.rpc_url,
            "CHAIN_ID": "1337",
            "DATABASE_URL": PG_URL,
            "REDIS_URL": REDIS_URL,
            "PRIVATE_KEY": "0x" + bytes(deployer.key).hex(),  # a test chain's funded account
        }

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "zkredit.cli.main", *args],
                              env=self.env, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"zkredit {' '.join(args)} -> {done.returncode}\n" \
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def url(self, name: str) -> str:
        offset = {"gateway": 0, "worker": 1, "credit": 2, "remittance": 3, "receiver": 4}
        return f"http://127.0.0.1:{self.port_base + offset[name]}"

    def start(self, name: str) -> None:
        extra = ["--external-provers"] if name == "worker" else []
        self._spawn(name, ["serve", name, "--env", "test", "--port-base", str(self.port_base),
                           "--schema-prefix", self.prefix, "--rail-latency-ms", "200",
                           *extra])

    def start_prover(self, n: int) -> None:
        self._spawn(f"prover-{n}", ["worker", "prover", "--env", "test", "--schema-prefix",
                                    self.prefix, "--processes", "1", "--metrics-port", "0"])

    def _spawn(self, name: str, args: list[str]) -> None:
        with (self.root / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "zkredit.cli.main", *args],
                env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)

    def provers_of_proofs(self) -> dict[str, str]:
        """Job id -> the process that proved it, from the worker's jobs in Redis."""
        import redis

        from zkredit.jobs.api import JobId
        from zkredit.jobs.redis_store import RedisJobStore

        namespace = f"zkredit-{self.prefix}-worker-1337"
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            store = RedisJobStore(client, namespace)
            jobs = [store.get(JobId(k.rsplit(":", 1)[1]))
                    for k in client.scan_iter(match=f"{namespace}:job:*", count=1000)]
        finally:
            client.close()
        return {j.id: str((j.result or {}).get("prover")) for j in jobs
                if j is not None and j.kind == "worker.prove"}

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{(self.root / f'{n}.log').read_text()[-2500:]}"
                         for n in self.procs if (self.root / f"{n}.log").exists())

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as http:
            while True:
                for name, proc in self.procs.items():
                    assert proc.poll() is None, f"{name} exited {proc.returncode}\n{self.logs()}"
                try:
                    r = http.get(f"{self.url('gateway')}/api/health")
                    if r.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"not healthy in {timeout} s\n{self.logs()}"
                time.sleep(0.5)

    def stop(self) -> dict[str, int]:
        """SIGTERM every service; their exit codes (a graceful stop exits 0)."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait()
        return codes


@dataclass
class Parties:
    """The issuers and the KYC provider of the test environment (generated keys), and the
    borrower's repayment, as ``zkredit.demo.flows`` needs them."""

    registry: IssuerRegistry
    system: System
    credit_url: str

    def publish_kyc_root(self) -> str:
        tx = self.registry.kyc_provider().publish(self.system.kyc)  # deployer: KYC provider
        self.registry.save()
        return tx

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.system.client.now(), dt.UTC).date()

    def repay_installment(self, loan_id: str) -> dict[str, Any]:
        r = httpx.post(f"{self.credit_url}/loans/{loan_id}/repayments", timeout=60)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data


@pytest.fixture
def operator(tmp_path: Path, anvil_url: str) -> Iterator[Operator]:
    problem = _pg_reachable()
    require(problem is None, f"PostgreSQL is not reachable at {PG_URL}: {problem}")
    require(_redis_reachable(), f"Redis is not reachable at {REDIS_URL}")
    import random

    op = Operator(tmp_path, anvil_url, f"zkpa_{uuid.uuid4().hex[:8]}",
                  pick_port_base(random.Random()))
    try:
        yield op
    finally:
        op.stop()
        _drop(op.prefix)


def test_each_agent_in_its_own_process_carries_scenarios_1_and_2(operator: Operator) -> None:
    op = operator
    addresses = {}
    for agent in ("worker", "credit", "remittance", "receiver"):
        addresses[agent] = op.cli("keys", "new", "--agent", agent).stdout.split()[-1]
    listed = json.loads(op.cli("keys", "list", "--json").stdout)["agents"]
    assert listed == addresses
    op.cli("issuer", "init", "--data-dir", str(op.root / "data"))

    dry = op.cli("deploy", "--env", "test", "--dry-run", "--issuers-dir",
                 str(op.root / "data" / "issuers"))
    for phase in ("preflight", "circuits", "contracts", "roles", "migrations", "agents",
                  "validation"):
        assert phase in dry.stdout
    assert not (op.root / "deployments" / "1337.json").exists()  # a dry run writes nothing

    first = json.loads(op.cli("deploy", "--env", "test", "--json", "--schema-prefix",
                              op.prefix, "--agent-host", "127.0.0.1", "--issuers-dir",
                              str(op.root / "data" / "issuers")).stdout)
    assert first["ok"] and first["transactions"] > 0
    assert [p["name"] for p in first["phases"]] == [
        "preflight", "circuits", "contracts", "roles", "migrations", "agents", "validation"]
    record = json.loads((op.root / "deployments" / "1337.json").read_text())
    assert record["environment"] == "test"
    assert {n: a["wallet"] for n, a in record["agents"].items()} == addresses
    assert "privateKey" not in json.dumps(record) and PASSWORD not in json.dumps(record)

    for name in SERVICES:
        op.start(name)
    for n in (1, 2):  # the worker agent proves nothing itself: two prover workers share it
        op.start_prover(n)
    op.wait_ready()

    client = ChainClient.connect(op.rpc_url)
    deployment = Deployment.load(op.root / "deployments", client.chain_id)
    system = deployment.system(client, client.dev_accounts()[0])
    registry = IssuerRegistry.open(op.root / "data" / "issuers")
    parties = cast(flows.DemoSystem, Parties(registry, system, op.url("credit")))
    worker = flows.WorkerClient(op.url("worker"))
    try:
        one = flows.scenario1(parties, worker)
        assert one.status == "passed", one.data
        two = flows.scenario2(parties, worker)
        assert two.status == "passed", two.data
        assert two.data["decision"] == "approved" and two.data["attestation_tx"]
    finally:
        worker.http.close()
    provers = op.provers_of_proofs()
    assert len(provers) == 5, provers  # scenario 1's identity proof, scenario 2's four
    assert len(set(provers.values())) == 2, provers  # both prover workers proved some

    codes = op.stop()
    expected = {**dict.fromkeys(SERVICES, 0), "prover-1": 0, "prover-2": 0}
    assert codes == expected, f"{codes}\n{op.logs()}"
