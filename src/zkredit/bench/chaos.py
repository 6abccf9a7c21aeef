"""The fault drill: money flows under seeded faults, then exactly-once checks.

``zkredit bench chaos --flows N`` runs a :class:`~.cluster.LocalCluster` (one process per
agent, two prover workers, its own anvil and its own Redis with an fsynced append-only
file, PostgreSQL schemas of its own) and plays N flows: remittances, remittances whose
payout fails and is refunded, and loans through to disbursement. While each flow runs, a
fault chosen in turn from :data:`FAULTS` strikes at a seeded moment and is repaired after
a seeded downtime:

* ``job_worker``: kill -9 a prover worker, start it again;
* ``agent``: kill -9 one agent process (seeded choice), start it again;
* ``redis``: kill -9 the Redis server, start it on its append-only file;
* ``chain``: the node stops answering (SIGSTOP), then resumes (SIGCONT). anvil keeps its
  chain in memory only, so killing it would destroy the chain itself, which a real node
  with storage never does; an unreachable node is the fault the agents must survive;
* ``postgres``: every connection of the agents is terminated (``pg_terminate_backend``).

Then it checks what must hold: every flow reached a terminal state, no transfer was paid
out twice, no nullifier is consumed on chain without its attestation (and the reverse),
every agent's ledger balances, the cross-agent flows add up (sent = paid out + refunded +
in flight), and every party's audit chain verifies. The same seed replays the same
faults at the same moments.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from zkredit.bench.cluster import ExternalParties, LocalCluster
from zkredit.chain.node import AnvilNode, free_port

FAULTS = ("job_worker", "agent", "redis", "chain", "postgres")
AGENTS = ("worker", "credit", "remittance", "receiver")
KINDS = ("remittance", "refund", "loan")
FLOW_TIMEOUT_S = 240.0
TERMINAL = {"remittance": {"completed"}, "refund": {"refunded"}, "loan": {"active"}}
FAIL_ACCOUNT = "9999000"  # the sandbox rail reports accounts starting so as closed


class _Retrying(httpx.Client):
    """The worker's own app retrying through outages: a connection error, 502-504, or a
    429 (after its Retry-After) is retried for up to ``patience_s``. Safe, because every
    money-moving POST carries an Idempotency-Key and the reads are reads."""

    def __init__(self, *args: Any, patience_s: float = 120.0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.patience_s = patience_s

    def send(self, request: httpx.Request, **kw: Any) -> httpx.Response:
        deadline = time.monotonic() + self.patience_s
        while True:
            try:
                response = super().send(request, **kw)
                if response.status_code not in (429, 502, 503, 504) or \
                        time.monotonic() > deadline:
                    return response
                wait = float(response.headers.get("Retry-After", "0.5") or 0.5)
                response.close()
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                continue
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.5)


@dataclass
class Redis:
    """A Redis of the drill's own, durable like production's (appendonly, fsync always)."""

    directory: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import redis

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


@dataclass
class Drill:
    root: Path
    flows: int
    seed: int
    database_url: str
    say: Callable[[str], None] = lambda _msg: None
    rng: random.Random = field(init=False)
    faults: Counter[str] = field(default_factory=Counter)
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- the system under test ------------------------------------------------------------

    @contextlib.contextmanager
    def system(self) -> Iterator[tuple[LocalCluster, AnvilNode, Redis]]:
        node = AnvilNode(self.root / "anvil")
        info, _ = node.start(free_port())
        redis = Redis(self.root / "redis")
        redis.start()
        cluster = LocalCluster(self.root / "cluster", info.url, _port_base(),
                               database_url=self.database_url, redis_url=redis.url,
                               rail_fail_accounts=f"^{FAIL_ACCOUNT}",
                               # one client drives every flow: the drill tests faults, not
                               # the rate limiter (whose 429 it would honour all the same)
                               extra_env={"RATE_LIMIT_REQUESTS": str(10**9)})
        cluster.root.mkdir(parents=True, exist_ok=True)
        try:
            cluster.setup()
            for name in ("worker", "credit", "remittance", "receiver", "gateway"):
                cluster.start(name, external_provers=True)
            cluster.start_prover(1)
            cluster.start_prover(2)
            cluster.wait_ready()
            cluster.fund_floats()  # the treasury's prefunding, before any payout
            yield cluster, node, redis
        finally:
            cluster.stop()
            redis.stop()
            node.stop()
            _drop_schemas(self.database_url, cluster.prefix)

    # -- faults ------------------------------------------------------------------------

    def strike(self, kind: str, cluster: LocalCluster, node: AnvilNode, redis: Redis,
               downtime: float) -> str:
        """Inject one fault, wait ``downtime``, repair it; returns what was hit."""
        if kind == "job_worker":
            target = self.rng.choice(["prover-1", "prover-2"])
            cluster.kill(target)
            time.sleep(downtime)
            cluster.restart(target)
        elif kind == "agent":
            target = self.rng.choice(AGENTS)
            cluster.kill(target)
            time.sleep(downtime)
            cluster.restart(target)
        elif kind == "redis":
            target = "redis"
            redis.kill()
            time.sleep(downtime)
            redis.start()
        elif kind == "chain":
            target = "anvil"
            info = node.info()
            pid = info.pid if info else None
            assert pid is not None, "no anvil to pause"
            import os

            os.kill(pid, signal.SIGSTOP)
            try:
                time.sleep(downtime)
            finally:
                os.kill(pid, signal.SIGCONT)
        else:
            target = "postgres connections"
            _terminate_backends(self.database_url)
        self.faults[kind] += 1
        return target

    # -- flows -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        from zkredit.demo import flows

        started = time.perf_counter()
        with self.system() as (cluster, node, redis):
            parties = cast(flows.DemoSystem, ExternalParties.of(cluster))
            for i in range(self.flows):
                kind, fault = KINDS[i % len(KINDS)], FAULTS[i % len(FAULTS)]
                delay, downtime = self.rng.uniform(0.2, 3.0), self.rng.uniform(1.0, 4.0)
                hit: list[str] = []
                striker = threading.Timer(
                    delay, lambda k=fault, d=downtime, h=hit: h.append(
                        self.strike(k, cluster, node, redis, d)))
                client = flows.WorkerClient(cluster.url("worker"))
                client.http = _Retrying(base_url=cluster.url("worker"), timeout=60.0)
                striker.start()
                try:
                    outcome = self._flow(i, kind, parties, client)
                finally:
                    striker.join()
                    client.http.close()
                outcome.update(fault=fault, target=hit[0] if hit else None,
                               delay_s=round(delay, 2), downtime_s=round(downtime, 2))
                self.outcomes.append(outcome)
                self.say(f"flow {i + 1}/{self.flows}: {kind} under {fault} "
                         f"({outcome['target']}) -> {outcome['state']}")
            cluster.wait_ready()
            checks = self.check(cluster)
        completed = sum(o["state"] in TERMINAL[o["kind"]] for o in self.outcomes)
        return {
            "seed": self.seed, "flows": self.flows, "completed": completed,
            "faults": dict(sorted(self.faults.items())),
            "duplicates": checks["duplicates"], "lost": checks["lost"],
            "reconciliation": checks["reconciliation"], "audit": checks["audit"],
            "problems": checks["problems"] + (
                _reconcile_problems(checks["reconciliation"])) + [
                f"flow {o['i']} ({o['kind']}) ended {o['state']}: {o.get('error', '')}"
                for o in self.outcomes if o["state"] not in TERMINAL[o["kind"]]],
            "wall_s": round(time.perf_counter() - started, 1),
            "outcomes": self.outcomes,
        }

    def _flow(self, i: int, kind: str, parties: Any, client: Any) -> dict[str, Any]:
        from zkredit.demo import flows
        from zkredit.scenarios import SAMUEL

        out = flows.Outcome(f"chaos-{i}")
        record: dict[str, Any] = {"i": i, "kind": kind, "state": "not started"}
        key = f"chaos-{self.seed}-{i}-{uuid.uuid4().hex[:6]}"
        try:
            if kind == "loan":
                birth = (SAMUEL.birth_date.year, SAMUEL.birth_date.month, SAMUEL.birth_date.day)
                ident = flows.onboard(parties, client, f"{SAMUEL.name} {i}", birth,
                                      SAMUEL.jurisdiction, SAMUEL.kyc_level, out)
                flows.issue_applicant(parties, client, ident, SAMUEL, parties.today(), out)
                record["id"] = client.apply(ident["identity_id"], _loan_body(), key=key)["id"]
                record["state"] = self._loan(client, record["id"])
            else:
                m = flows.MARIA
                ident = flows.onboard(parties, client, f"{m.name} {i}", m.birth,
                                      m.jurisdiction, m.level, out)
                account = FAIL_ACCOUNT + f"{i:03d}" if kind == "refund" else f"12345{i:05d}"
                rem = client.remit(ident["identity_id"], _remit_body(account), key=key)
                record["id"] = rem["id"]
                record["state"] = self._poll(lambda: client.remittance(rem["id"], wait=20),
                                             {"completed", "refunded", "expired", "unfunded"})
        except Exception as exc:  # the flow's end is recorded, the drill goes on
            record["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return record

    def _loan(self, client: Any, app_id: str) -> str:
        state = self._poll(lambda: client.loan(app_id, wait=20),
                           {"approved", "declined", "failed", "active"})
        if state != "approved":
            return state
        client.accept(app_id)
        return self._poll(lambda: client.loan(app_id, wait=20), {"active", "failed"})

    @staticmethod
    def _poll(read: Callable[[], dict[str, Any]], done: set[str]) -> str:
        deadline = time.monotonic() + FLOW_TIMEOUT_S
        state = "unknown"
        while time.monotonic() < deadline:
            state = str(read().get("status"))
            if state in done:
                return state
        return state

    # -- what must hold ------------------------------------------------------------------

    def check(self, cluster: LocalCluster) -> dict[str, Any]:
        from zkredit.store.db import Database

        problems: list[str] = []
        tables = {}
        for party in AGENTS:
            db = Database.open(party, self.database_url, cluster.root / "data",
                               schema=f"{cluster.prefix}_{party}")
            try:
                tables[party] = db.dump_tables()
            finally:
                db.dispose()
        paid = Counter(r["transfer_id"] for r in tables["receiver"].get("receiver_payouts", [])
                       if r.get("status") == "paid_out")
        duplicates = sum(n - 1 for n in paid.values() if n > 1)
        ids = {o["id"] for o in self.outcomes if o.get("id")}
        known = ({r["id"] for r in tables["worker"].get("worker_remittances", [])}
                 | {r["id"] for r in tables["worker"].get("worker_loan_applications", [])})
        lost = len(ids - known)
        for party, t in tables.items():
            sums: Counter[tuple[str, str]] = Counter()
            for p in t.get("ledger_postings", []):
                sums[(p["currency"], p["side"])] += int(p["amount_minor"])
            for ccy in {c for c, _ in sums}:
                if sums[(ccy, "debit")] != sums[(ccy, "credit")]:
                    problems.append(f"{party}'s {ccy} ledger does not balance: {sums}")
        problems += self._nullifiers(cluster, tables["credit"])
        reconciliation = self._reconcile(cluster)
        audit = {}
        for party in AGENTS:
            try:
                cluster.cli("audit", "verify", "--party", party, "--database-url",
                            self.database_url, "--schema", f"{cluster.prefix}_{party}")
                audit[party] = "ok"
            except Exception as exc:
                audit[party] = "FAILED"
                problems.append(f"{party}'s audit chain: {str(exc)[:300]}")
        return {"duplicates": duplicates, "lost": lost, "problems": problems,
                "reconciliation": reconciliation, "audit": audit}

    def _nullifiers(self, cluster: LocalCluster, credit: dict[str, list[dict[str, Any]]]
                    ) -> list[str]:
        """A nullifier is consumed on chain exactly when its application's attestation is
        recorded (a declined application leaves its nullifier unconsumed)."""
        registry = ExternalParties.of(cluster).system.credit
        apps = {a["id"]: a for a in credit.get("credit_applications", [])}
        problems = []
        for row in credit.get("credit_nullifiers", []):
            used = bool(registry.is_nullifier_used(int(row["nullifier"])))
            attested = bool((apps.get(row["application_id"]) or {}).get("attestation"))
            if used != attested:
                problems.append(f"application {row['application_id']}: nullifier "
                                f"{'consumed' if used else 'not consumed'} on chain, "
                                f"attestation {'recorded' if attested else 'missing'}")
        return problems

    def _reconcile(self, cluster: LocalCluster) -> dict[str, Any]:
        try:
            done = cluster.cli("ledger", "reconcile", "--json", "--database-url",
                               self.database_url, "--schema-prefix", cluster.prefix,
                               ok=(0, 1))  # 1: differences, reported below
        except Exception as exc:
            if "No such command" in str(exc):
                return {"ok": None, "error": "`zkredit ledger reconcile` is not available"}
            return {"ok": False, "error": str(exc)[:500]}
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def _reconcile_problems(report: dict[str, Any]) -> list[str]:
    """Each difference ``zkredit ledger reconcile`` named, or why it could not run."""
    if report.get("ok") is not False:
        return []
    if "differences" not in report:
        return [f"reconciliation failed: {report.get('error', report)}"]
    return [f"reconciliation: {d['check']} at {d['party']}: {d['message']}"
            for d in report["differences"]]


def _remit_body(account: str) -> dict[str, Any]:
    return {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
            "receive_amount_minor": 1_500_000, "purpose": "education",
            "recipient": {"name": "Juan Rodriguez", "account": account,
                          "bank": "Banco de Oro", "country": "PH"}}


def _loan_body() -> dict[str, Any]:
    from zkredit.scenarios import SAMUEL

    return {"lender": "credit", "amount_minor": SAMUEL.loan_minor, "currency": SAMUEL.currency,
            "months": SAMUEL.loan_months,
            "payout": {"route": "bank_transfer",
                       "recipient": {"name": SAMUEL.name, "account": "0123456789",
                                     "bank": "Zenith Bank", "country": "NG"}}}


def _port_base() -> int:
    import socket

    for _ in range(200):
        base = random.randrange(20000, 40000 - 5)
        ok = True
        for port in range(base, base + 5):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no 5 consecutive free ports")


def _terminate_backends(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'").fetchall()
    return len(rows)


def _drop_schemas(url: str, prefix: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",))]
        for name in names:
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
