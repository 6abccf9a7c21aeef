"""``zkredit doctor``: diagnose what is wrong with this machine's ZKredit, and how to fix it.

It observes the environment (the health checks, who holds each configured port, disk,
memory, the clock against the chain's), then turns what it saw into diagnoses. Each
names its evidence, gives immediate, short-term and long-term fixes and the steps that
verify them, and a confidence. An error message (``--error``) is matched against the
seed's known failure patterns (gas estimation, circom compilation, connection refused,
timeouts) and the system's own refusals; a pattern that the live observations
corroborate (a refused connection while a service is down) names that service and
gains confidence.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from zkredit.bootstrap import SERVICES
from zkredit.ops.health import Check, HealthReport, Targets, existing_parent, rpc, run_health
from zkredit.settings import Settings

Severity = Literal["critical", "warning", "info"]
DISK_FREE_MIN_PERCENT = 10.0
DISK_FREE_MIN_BYTES = 2 * 1024**3
MEMORY_FREE_MIN_PERCENT = 10.0
CLOCK_SKEW_WARN_S = 30.0
"""Envelopes between agents allow 300 s (``envelope.MAX_SKEW_S``); warn well before."""


@dataclass(frozen=True)
class Fixes:
    immediate: list[str]
    short_term: list[str]
    long_term: list[str]
    verify: list[str]

    def to_json(self) -> dict[str, list[str]]:
        return {"immediate": self.immediate, "short_term": self.short_term,
                "long_term": self.long_term, "verification_steps": self.verify}


@dataclass
class Diagnosis:
    id: str
    title: str
    severity: Severity
    confidence: float
    evidence: list[str]
    fixes: Fixes
    related: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "severity": self.severity,
                "confidence": round(self.confidence, 2), "evidence": self.evidence,
                "fixes": self.fixes.to_json(), "related": self.related}


@dataclass(frozen=True)
class PortOwner:
    port: int
    pid: int | None
    name: str
    cmdline: str

    def describe(self) -> str:
        if self.pid is None:
            return f"a process this user cannot see ({self.name})"
        return f"pid {self.pid} ({self.name}: {self.cmdline})"


@dataclass
class DoctorReport:
    environment: str
    diagnoses: list[Diagnosis]
    health: HealthReport
    observations: dict[str, Any]
    error: str | None = None

    @property
    def critical(self) -> list[Diagnosis]:
        return [d for d in self.diagnoses if d.severity == "critical"]

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "error": self.error,
                "healthy": not self.critical,
                "diagnoses": [d.to_json() for d in self.diagnoses],
                "observations": self.observations, "health": self.health.to_json()}


# -- observations ---------------------------------------------------------------------------


def listeners() -> dict[int, PortOwner]:
    """Every listening TCP port on this machine and the process holding it."""
    import psutil  # type: ignore[import-untyped]

    owners: dict[int, PortOwner] = {}
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:  # some platforms need privileges for the full table
        connections = []
    for conn in connections:
        if conn.status != psutil.CONN_LISTEN or not conn.laddr:
            continue
        port = conn.laddr.port
        if conn.pid is None:
            owners.setdefault(port, PortOwner(port, None, "unknown", ""))
            continue
        try:
            proc = psutil.Process(conn.pid)
            owners[port] = PortOwner(port, conn.pid, proc.name(), " ".join(proc.cmdline()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            owners[port] = PortOwner(port, conn.pid, "unknown", "")
    return owners


def _local_port(url: str | None, default: int | None = None) -> int | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return None
    return parsed.port or default


def chain_clock_offset(rpc_url: str | None, timeout_s: float) -> float | None:
    """Seconds the chain's latest block is ahead of this machine's clock (None: unknown)."""
    if not rpc_url:
        return None
    try:
        block = rpc(rpc_url, "eth_getBlockByNumber", timeout_s, ["latest", False])
    except Exception:
        return None
    return float(int(block["timestamp"], 16)) - time.time()


# -- the fix book ------------------------------------------------------------------------------

def _service_fixes(name: str, env: str) -> Fixes:
    return Fixes(
        immediate=[f"Start it: `zkredit serve {name} --env {env}` (or `zkredit serve all --env "
                   f"{env}`); under compose `docker compose up -d {name}`, on Kubernetes "
                   f"`kubectl rollout restart deploy/{name}`",
                   f"Read why it stopped: its log under <data_dir>/{name}/logs, or "
                   f"`docker compose logs {name}` / `kubectl logs deploy/{name}`"],
        short_term=["Run it under the supervisor (`zkredit serve all`), compose "
                    "(restart: always) or Kubernetes, which restart a dead process"],
        long_term=["Alert on it: the AgentDown rule in deploy/prometheus/alerts.yml"],
        verify=[f"`zkredit health --env {env} --exit-code` exits 0",
                "curl the service's /health/ready: 200 with status healthy"])


def _port_fixes(owner: PortOwner, name: str, port: int, var: str) -> Fixes:
    stop = f"`kill {owner.pid}`" if owner.pid else "stop the process (run doctor as root to see it)"
    return Fixes(
        immediate=[f"Stop the process holding port {port}: {stop}",
                   f"Or move {name} to a free port: {var}=<port> (and restart the services "
                   "that call it)"],
        short_term=["Give each service its own port in environments/<env>.yml "
                    "(services.agents.<name>.port) and keep other software off them"],
        long_term=["Run the services in containers or pods, where ports cannot collide"],
        verify=[f"`zkredit doctor` no longer reports port {port}",
                f"`zkredit health` shows service:{name} ok"])


def _database_fixes(where: str, env: str, sqlite: bool) -> Fixes:
    if sqlite:
        return Fixes(
            immediate=["Check ZKREDIT_DATA_DIR (the agents keep <data_dir>/<party>/<party>.db)",
                       f"Start the agents once: they create and migrate their databases "
                       f"(`zkredit serve all --env {env}`)"],
            short_term=["Restore from a backup if the files were lost: `zkredit backup list`, "
                        "`zkredit backup restore ID`"],
            long_term=["Use PostgreSQL (DATABASE_URL) for anything beyond one machine"],
            verify=["`zkredit health` shows every database:<party> ok"])
    return Fixes(
        immediate=[f"Start the database server ({where}): `systemctl start postgresql`, "
                   "`docker compose up -d postgres`",
                   "Check DATABASE_URL (host, port, database, credentials)"],
        short_term=["Check the server's log and its disk; `pg_isready -h HOST -p PORT`"],
        long_term=["Use a managed or replicated PostgreSQL, with the daily `zkredit backup "
                   "create --type database` (see `zkredit backup schedule`)"],
        verify=["`pg_isready` answers accepting connections",
                "`zkredit health` shows every database:<party> ok"])


def _chain_fixes(url: str, env: str) -> Fixes:
    return Fixes(
        immediate=[f"Check the node at {url} is running (`zkredit chain up` for a development "
                   "node), and RPC_URL", "Check the node is the chain the environment deploys "
                   "to (eth_chainId)"],
        short_term=[f"Deploy this environment on it if it is new: `zkredit deploy --env {env}`"],
        long_term=["Use two RPC providers and alert on ChainUnreachable "
                   "(deploy/prometheus/alerts.yml)"],
        verify=["`zkredit health` shows chain ok (block number and deployment record)",
                "`zkredit deploy --check --env " + env + "`"])


_GAS = Fixes(
    immediate=["Check the sender's balance covers gas: the deployer (PRIVATE_KEY) for "
               "`zkredit deploy`, each agent's wallet (`zkredit keys list`) for its transactions",
               "Re-run with `zkredit deploy --dry-run` to see which transaction is sent",
               "A revert during estimation is the contract refusing: read the revert reason in "
               "the message (e.g. a missing role, a paused contract)"],
    short_term=["Send during lower base fees; check the node's eth_gasPrice / base fee",
                "Check the contract sizes in contracts/artifacts (24 KiB limit)"],
    long_term=["Fund the agent wallets from a monitored treasury with an alert on low balance",
               "Keep deployments reproducible on a test chain first (`zkredit deploy --env test`)"],
    verify=["`zkredit deploy --check` reports no difference",
            "the transaction appears in zkredit_chain_tx_duration_seconds on /metrics"])

_CIRCOM = Fixes(
    immediate=["The runtime does not compile circuits: the keys in circuits/keys are committed; "
               "restore them with `git checkout -- circuits/keys` and `zkredit circuits verify`",
               "To rebuild: `make setup` (installs the circom2 WASM compiler from npm), then "
               "`zkredit ceremony`",
               "Check free memory: compiling and the phase-2 setup need several GB"],
    short_term=["Compile one circuit at a time; keep circomlib pinned (2.0.5)"],
    long_term=["Run the ceremony on a dedicated machine and commit only its output and "
               "transcript (docs/decisions/0002-ceremony.md)"],
    verify=["`zkredit circuits verify` prints OK for every circuit",
            "`zkredit health` shows circuits ok"])

_TIMEOUT = Fixes(
    immediate=["See which component is slow: `zkredit health` times each check, "
               "`zkredit perf` measures against the targets",
               "Check CPU and memory (proving is CPU-bound)"],
    short_term=["Add prover workers (`zkredit worker prover`; compose --scale prover=N)",
                "Check the database: slow queries in zkredit_db_query_duration_seconds"],
    long_term=["Autoscale provers on zkredit_job_queue_depth (the Helm chart's HPA)",
               "Alert on latency from the Grafana dashboards' rules"],
    verify=["`zkredit perf` reports every target met", "the timeouts stop in the logs"])


# -- from observations to diagnoses ------------------------------------------------------------


PORT_VARS = {"gateway": "PORT", "worker": "WORKER_AGENT_PORT", "credit": "CREDIT_AGENT_PORT",
             "remittance": "REMITTANCE_AGENT_PORT", "receiver": "RECEIVER_AGENT_PORT"}


def _services(settings: Settings, targets: Targets, health: HealthReport,
              owners: dict[int, PortOwner]) -> list[Diagnosis]:
    env = settings.app.env.value
    out = []
    for name in SERVICES:
        check = _find(health, f"service:{name}")
        url = targets.urls.get(name)
        if check is None or check.status == "ok" or url is None:
            continue
        port = _local_port(url)
        owner = owners.get(port) if port else None
        answered_as_itself = "http_status" in check.data
        if answered_as_itself:
            out.append(Diagnosis("service_unhealthy", f"the {name} service is not ready",
                                 "critical", 0.85, [check.detail], _service_fixes(name, env)))
        elif owner is not None and port is not None:
            out.append(Diagnosis(
                "port_taken", f"port {port} of the {name} service is held by another process",
                "critical", 0.95,
                [f"{url}: {check.detail}", f"port {port} is held by {owner.describe()}"],
                _port_fixes(owner, name, port, PORT_VARS[name]), ["service_down"]))
        else:
            evidence = [check.detail]
            if port:
                evidence.append(f"nothing on this machine listens on port {port}")
            out.append(Diagnosis("service_down", f"the {name} service is not running",
                                 "critical", 0.9 if port else 0.7, evidence,
                                 _service_fixes(name, env)))
    return out


def _databases(settings: Settings, health: HealthReport,
               owners: dict[int, PortOwner]) -> list[Diagnosis]:
    env = settings.app.env.value
    failed = [c for c in health.checks if c.name.startswith("database:") and c.status == "fail"]
    sqlite = not settings.database.url
    unreachable = [c for c in failed if "cannot reach" in c.detail]
    out = []
    if unreachable:
        from zkredit.store.engines import postgres_url

        url = postgres_url(settings.database.url or "")
        where = (f"PostgreSQL at {url.host}:{url.port or 5432}, database {url.database}")
        evidence = [c.detail for c in unreachable]
        port = url.port or 5432
        if url.host in ("127.0.0.1", "localhost") and port not in owners:
            evidence.append(f"nothing on this machine listens on port {port}: the server is "
                            "stopped")
        parties = ", ".join(c.name.split(":")[1] for c in unreachable)
        out.append(Diagnosis("database_down", f"the database is down: {where}", "critical",
                             0.95, [f"unreachable for {parties}", *evidence],
                             _database_fixes(where, env, False)))
    for c in failed:
        if c in unreachable:
            continue
        party = c.name.split(":")[1]
        if "migrations behind" in c.detail or "never migrated" in c.detail:
            out.append(Diagnosis(
                "migrations_behind", f"the {party} database is not at the code's revision",
                "critical", 0.9, [c.detail],
                Fixes(immediate=[f"Start the {party} agent (it migrates on start), or run "
                                 f"`zkredit deploy --env {env}` (phase migrations)"],
                      short_term=["Deploy code and migrations together (docs/operations.md, "
                                  "Upgrades)"],
                      long_term=["Keep the deploy job (Helm pre-upgrade hook) in front of "
                                 "every rollout"],
                      verify=["`zkredit health` shows database:" + party + " ok"])))
        else:
            out.append(Diagnosis("database_missing", f"no database for {party}",
                                 "critical", 0.8, [c.detail],
                                 _database_fixes(c.detail, env, sqlite)))
    return out


def _chain(settings: Settings, targets: Targets, health: HealthReport,
           offset: float | None) -> list[Diagnosis]:
    env = settings.app.env.value
    check = _find(health, "chain")
    out = []
    if check is not None and check.status == "fail" and targets.rpc_url:
        unreachable = "unreachable" in check.detail or "no answer" in check.detail
        out.append(Diagnosis(
            "chain_unreachable" if unreachable else "wrong_chain",
            "the chain node is unreachable" if unreachable else
            "the node is not the chain this environment is deployed on",
            "critical", 0.9, [check.detail], _chain_fixes(targets.rpc_url, env)))
    if check is not None and check.status == "warn":
        out.append(Diagnosis("chain_id_mismatch", "CHAIN_ID differs from the node's chain id",
                             "warning", 0.8, [check.detail], _chain_fixes(
                                 targets.rpc_url or "", env)))
    if offset is not None and offset > CLOCK_SKEW_WARN_S:
        out.append(Diagnosis(
            "clock_skew", "this machine's clock is behind the chain's", "critical"
            if offset > 300 else "warning", 0.8,
            [f"the latest block is {offset:.0f} s ahead of this machine's clock; envelopes "
             "between agents allow 300 s, and proofs carry today's date"],
            Fixes(immediate=["Synchronise the clock: `timedatectl set-ntp true` (chrony/"
                             "systemd-timesyncd)"],
                  short_term=["Check every host of the deployment runs NTP"],
                  long_term=["Alert on node_timex_offset_seconds (node_exporter)"],
                  verify=["`zkredit doctor` no longer reports clock skew",
                          "`timedatectl` says System clock synchronized: yes"])))
    return out


def _circuits(settings: Settings, health: HealthReport) -> list[Diagnosis]:
    check = _find(health, "circuits")
    if check is None or check.status == "ok":
        return []
    problems = check.data.get("problems") or [check.detail]
    altered = [p for p in problems if "sha256" in p or "changed" in p]
    missing = [p for p in problems if "missing" in p or "not found" in p]
    if not problems or (check.status != "fail" and not altered and not missing):
        return [Diagnosis("development_keys", "the circuit keys are from a development setup",
                          "warning" if settings.is_development else "critical", 0.95,
                          [check.detail], _CIRCOM)]
    kind = "circuits_altered" if altered else "circuits_missing"
    return [Diagnosis(kind, "circuit artifacts " + ("altered" if altered else "missing"),
                      "critical", 0.95, problems[:10], _CIRCOM)]


def _resources(settings: Settings, health: HealthReport) -> list[Diagnosis]:
    import psutil

    out = []
    where = existing_parent(settings.app.data_dir)
    disk = psutil.disk_usage(str(where))
    free_pct = 100.0 - disk.percent
    if free_pct < DISK_FREE_MIN_PERCENT or disk.free < DISK_FREE_MIN_BYTES:
        out.append(Diagnosis(
            "disk_low", f"little disk left under {where}", "critical" if free_pct < 2
            else "warning", 0.95, [f"{disk.free / 1024**3:.1f} GiB free ({free_pct:.0f}%)"],
            Fixes(immediate=["`zkredit backup prune` (retention), remove old logs under "
                             "<data_dir>/*/logs"],
                  short_term=["Move backups to S3 (--store s3://...)"],
                  long_term=["Alert on disk usage; size volumes for a year of growth"],
                  verify=["`zkredit health` system check ok"])))
    memory = psutil.virtual_memory()
    if memory.available / memory.total * 100 < MEMORY_FREE_MIN_PERCENT:
        out.append(Diagnosis(
            "memory_low", "little memory left", "warning", 0.9,
            [f"{memory.available / 1024**3:.1f} GiB available of {memory.total / 1024**3:.1f}"],
            Fixes(immediate=["Lower ZK_PROVER_POOL_SIZE or the number of prover workers"],
                  short_term=["Give provers their own machines (`zkredit worker prover`)"],
                  long_term=["Size hosts per docs/operations.md (Prerequisites)"],
                  verify=["`zkredit perf` proof generation within target"])))
    return out


def _find(health: HealthReport, name: str) -> Check | None:
    return next((c for c in health.checks if c.name == name), None)


# -- error messages ------------------------------------------------------------------------------

Pattern = tuple[str, re.Pattern[str], str, float, Callable[..., Fixes]]

PATTERNS: list[Pattern] = [
    ("gas_estimation", re.compile(r"gas estimated cost|gas required exceeds|out of gas|"
                                  r"intrinsic gas|insufficient funds|base fee|"
                                  r"estimate_?gas", re.I),
     "contract transaction failed at gas estimation", 0.8, lambda *_: _GAS),
    ("zk_compilation", re.compile(r"circuit compilation|circom|non-quadratic|template .* "
                                  r"not found", re.I),
     "circuit compilation failed", 0.9, lambda *_: _CIRCOM),
    ("circuits_altered", re.compile(r"do not match the manifest|sha256 does not match", re.I),
     "circuit artifacts do not match their manifest", 0.95, lambda *_: _CIRCOM),
    ("service_connection_failure", re.compile(r"ECONNREFUSED|connection refused|"
                                              r"cannot reach|failed to establish", re.I),
     "a connection was refused", 0.85, lambda *_: _TIMEOUT),
    ("performance_issue", re.compile(r"timeout|timed out|slow|deadline exceeded", re.I),
     "an operation timed out", 0.75, lambda *_: _TIMEOUT),
]


def match_error(message: str, settings: Settings, targets: Targets,
                live: list[Diagnosis]) -> list[Diagnosis]:
    """Diagnoses for an error message, corroborated by what the live checks found."""
    found = []
    down = [d for d in live if d.severity == "critical"]
    for key, pattern, title, confidence, fixes in PATTERNS:
        if not pattern.search(message):
            continue
        evidence = [f"the message matches {pattern.pattern!r}"]
        diagnosis = Diagnosis(key, title, "critical", confidence, evidence, fixes())
        if key in ("service_connection_failure", "performance_issue"):
            named = _named_component(message, targets)
            if named:
                evidence.append(f"{named} is the configured component at that address")
            matching = [d for d in down if named and named.split()[0] in d.title] or down
            if matching and key == "service_connection_failure":
                diagnosis.confidence = 0.95
                diagnosis.title = "a connection was refused: " + "; ".join(
                    d.title for d in matching)
                evidence += [e for d in matching for e in d.evidence]
                diagnosis.fixes = matching[0].fixes
                diagnosis.related = [d.id for d in matching]
            elif key == "service_connection_failure":
                diagnosis.confidence = 0.6
                evidence.append("every configured component answers now: the refusal was "
                                "transient, or came from a component not configured here")
        found.append(diagnosis)
    return found


def _named_component(message: str, targets: Targets) -> str | None:
    """The configured component whose port the message mentions (``127.0.0.1:3002``)."""
    ports = {int(p) for p in re.findall(r"(?::|port )(\d{2,5})\b", message)}
    for name, url in targets.urls.items():
        if urlparse(url).port in ports:
            return f"{name} service ({url})"
    if targets.rpc_url and urlparse(targets.rpc_url).port in ports:
        return f"chain node ({targets.rpc_url})"
    return None


# -- the whole diagnosis ---------------------------------------------------------------------------


def diagnose(settings: Settings, targets: Targets | None = None,
             error: str | None = None) -> DoctorReport:
    t = targets or Targets.from_settings(settings)
    health = run_health(settings, t)
    owners = listeners()
    offset = chain_clock_offset(t.rpc_url, t.timeout_s)
    live = [*_services(settings, t, health, owners), *_databases(settings, health, owners),
            *_chain(settings, t, health, offset), *_circuits(settings, health),
            *_resources(settings, health)]
    redis = _find(health, "redis")
    if redis is not None and redis.status == "fail":
        live.append(Diagnosis("redis_down", "Redis (the job queue) is unreachable", "critical",
                              0.9, [redis.detail], Fixes(
                                  immediate=["Start Redis (`docker compose up -d redis`), "
                                             "check REDIS_URL"],
                                  short_term=["Jobs wait in the queue and resume: nothing is "
                                              "lost while it is down"],
                                  long_term=["Run Redis with AOF persistence (the compose file "
                                             "does)"],
                                  verify=["`redis-cli -u $REDIS_URL ping` answers PONG"])))
    diagnoses = live + (match_error(error, settings, t, live) if error else [])
    diagnoses.sort(key=lambda d: ({"critical": 0, "warning": 1, "info": 2}[d.severity],
                                  -d.confidence))
    ports = {name: {"port": _local_port(url),
                    "owner": (owners[p].describe() if (p := _local_port(url)) in owners
                              else None)}
             for name, url in t.urls.items()}
    observations = {"ports": ports, "chain_clock_offset_s": offset}
    return DoctorReport(settings.app.env.value, diagnoses, health, observations, error)
