"""``zkredit health``: every component of a running system, each check timed.

What the seed's health script checks, on this runtime: system resources, each service's
``/health/ready``, the chain (``eth_blockNumber``, and a deployment record for the chain id
the node reports), the circuits (manifest and verification keys), the TLS certificate's
days to expiry, each agent's database (reachable, size, migrations at head), Redis and
Prometheus. A check is *required* when the system cannot serve without it; the report is
healthy when no required check fails.

The individual checks are plain functions so that ``zkredit doctor`` and
``zkredit security assess`` reuse them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import httpx

from zkredit.bootstrap import AGENTS, SERVICES, agent_urls, build_catalog
from zkredit.settings import Settings

Status = Literal["ok", "warn", "fail", "skip"]
STATUS_ORDER: dict[str, int] = {"ok": 0, "skip": 1, "warn": 2, "fail": 3}

TLS_WARN_DAYS = 30
"""The seed's threshold: a certificate closer than this to expiry is a warning."""
RESOURCE_WARN_PERCENT = 90.0
DISK_FAIL_PERCENT = 98.0


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    """``agent:credit``, ``database:worker``, ``chain`` ..."""
    component: str
    status: Status
    detail: str
    seconds: float = 0.0
    required: bool = True
    """Whether the system cannot serve while this check fails."""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def down(self) -> bool:
        return self.required and self.status == "fail"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "component": self.component, "status": self.status,
                "required": self.required, "ms": round(self.seconds * 1000, 1),
                "detail": self.detail, **({"data": self.data} if self.data else {})}


@dataclass(frozen=True)
class HealthReport:
    environment: str
    checks: list[Check]
    seconds: float

    @property
    def down(self) -> list[Check]:
        """The required checks that failed: what makes the system unhealthy."""
        return [c for c in self.checks if c.down]

    @property
    def healthy(self) -> bool:
        return not self.down

    @property
    def status(self) -> str:
        if self.down:
            return "unhealthy"
        return "degraded" if any(c.status in ("warn", "fail") for c in self.checks) else "healthy"

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "healthy": self.healthy, "environment": self.environment,
                "ms": round(self.seconds * 1000, 1),
                "down": [c.name for c in self.down],
                "checks": [c.to_json() for c in self.checks]}


@dataclass(frozen=True)
class Targets:
    """What to check, from settings (and the command line)."""

    urls: dict[str, str]
    parties: tuple[str, ...] = field(default_factory=lambda: state_parties())
    schema_prefix: str | None = None
    rpc_url: str | None = None
    prometheus_url: str | None = None
    timeout_s: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings, *, schema_prefix: str | None = None,
                      rpc_url: str | None = None, prometheus_url: str | None = None,
                      timeout_s: float = 3.0) -> Targets:
        from zkredit.chain.connect import rpc_url_for

        return cls(urls=agent_urls(settings), schema_prefix=schema_prefix,
                   rpc_url=rpc_url_for(settings, rpc_url),
                   prometheus_url=prometheus_url or os.environ.get("PROMETHEUS_URL") or None,
                   timeout_s=timeout_s)


def timed(name: str, component: str, required: bool,
          run: Callable[[], tuple[Status, str, dict[str, Any]]]) -> Check:
    """Run one check, time it, and turn an unexpected exception into a failed check."""
    start = time.perf_counter()
    try:
        status, detail, data = run()
    except Exception as exc:  # a failing dependency is a result, not a crash
        status, detail, data = "fail", _describe(exc), {}
    return Check(name, component, status, detail, time.perf_counter() - start, required, data)


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message).splitlines()[0]


# -- the checks ---------------------------------------------------------------------------


def check_service(name: str, url: str, timeout_s: float) -> Check:
    """A service's ``/health/ready``: 200 is healthy, 503 names what fails."""

    def run() -> tuple[Status, str, dict[str, Any]]:
        try:
            r = httpx.get(f"{url}/health/ready", timeout=timeout_s)
        except httpx.ConnectError as exc:
            return "fail", f"{name} is down: nothing answers at {url} ({_reason(exc)})", {}
        except httpx.TimeoutException:
            return "fail", f"{name} did not answer at {url} within {timeout_s:g} s", {}
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("agent") != name:
            who = body.get("agent") if isinstance(body, dict) else None
            says = f"it says it is {who!r}" if who else f"HTTP {r.status_code}, no agent name"
            return "fail", (f"{url} answers, but not as the {name} service ({says}): another "
                            "process holds its port (`zkredit doctor` names it)"), {"url": url}
        data = {"url": url, "http_status": r.status_code,
                "uptime_s": body.get("uptime_s"), "version": body.get("version")}
        checks = body.get("checks") or {}
        if r.status_code == 200:
            inner = ", ".join(f"{k} {v.get('detail', '')}".strip() for k, v in checks.items())
            return "ok", f"{name} ready at {url}" + (f" ({inner})" if inner else ""), data
        if body.get("draining"):
            return "fail", f"{name} at {url} is draining (shutting down)", data
        failing = body.get("failing") or []
        why = "; ".join(f"{k}: {checks.get(k, {}).get('detail', '')}" for k in failing)
        return "fail", (f"{name} at {url} is not ready (HTTP {r.status_code})"
                        + (f": {why}" if why else "")), data

    return timed(f"service:{name}", "services", True, run)


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    return str(exc) or type(exc).__name__


def rpc(url: str, method: str, timeout_s: float, params: list[Any] | None = None) -> Any:
    """One JSON-RPC call; raises on a transport error or an error reply."""
    r = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                              "params": params or []}, timeout=timeout_s)
    r.raise_for_status()
    body = r.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error'].get('message', body['error'])}")
    return body["result"]


def check_chain(settings: Settings, rpc_url: str | None, timeout_s: float) -> Check:
    """``eth_blockNumber``, and a deployment record of this environment for the node's chain id."""
    from zkredit.chain.deployment import Deployment, deployment_path

    if not rpc_url:
        return Check("chain", "chain", "skip",
                     "embedded py-evm chain (no RPC_URL and no `zkredit chain up` node): it "
                     "lives inside the process that runs the agents, nothing to probe",
                     required=False, data={"embedded": True})

    def run() -> tuple[Status, str, dict[str, Any]]:
        try:
            block = int(rpc(rpc_url, "eth_blockNumber", timeout_s), 16)
            chain_id = int(rpc(rpc_url, "eth_chainId", timeout_s), 16)
        except httpx.ConnectError as exc:
            return "fail", f"chain unreachable at {rpc_url} ({_reason(exc)})", {"url": rpc_url}
        except httpx.TimeoutException:
            return "fail", f"chain at {rpc_url}: no answer within {timeout_s:g} s", {}
        data: dict[str, Any] = {"url": rpc_url, "block": block, "chain_id": chain_id}
        directory = settings.app.deployments_dir
        record = Deployment.load_optional(directory, chain_id)
        if record is None:
            return "fail", (f"the node at {rpc_url} is chain {chain_id}, and there is no "
                            f"deployment record for it ({deployment_path(directory, chain_id)}): "
                            "wrong chain, or not deployed"), data
        env = settings.app.env.value
        if record.environment != env:
            return "fail", (f"chain {chain_id} holds a {record.environment!r} deployment, "
                            f"not {env!r} ({deployment_path(directory, chain_id)})"), data
        configured = settings.chain.chain_id
        status: Status = "ok"
        note = ""
        if settings.source_of("chain.chain_id").kind != "default" and configured != chain_id:
            status, note = "warn", f"; CHAIN_ID is configured as {configured}"
        return status, (f"block {block} on chain {chain_id}, {record.environment} deployment "
                        f"record {deployment_path(directory, chain_id).name}{note}"), data

    return timed("chain", "chain", True, run)


def check_circuits(settings: Settings) -> Check:
    """The circuit manifest: every key hashes as recorded; count the verification keys."""

    def run() -> tuple[Status, str, dict[str, Any]]:
        catalog = build_catalog(settings)
        problems = catalog.verify()
        vkeys = [n for n in catalog.names() if catalog.artifact_path(n, "vkey").is_file()]
        setup = catalog.setup_kind()
        data = {"circuits": len(catalog.names()), "verification_keys": len(vkeys),
                "setup": setup, "keys_dir": str(catalog.keys_dir), "problems": problems}
        if problems:
            return "fail", (f"{len(problems)} artifact(s) do not match the manifest, proving is "
                            f"disabled: {problems[0]}"), data
        text = (f"{len(vkeys)} verification keys for {len(catalog.names())} circuits, "
                f"manifest intact ({setup})")
        if setup != "ceremony":
            if settings.is_development:
                return "warn", text + ": development keys", data
            env = settings.app.env.value
            return "fail", text + f": development keys are refused in {env}", data
        return "ok", text, data

    return timed("circuits", "circuits", True, run)


def check_tls(settings: Settings) -> Check:
    """Days until the configured certificate expires (the seed warns under 30)."""
    sec = settings.security
    if not sec.tls_enabled:
        detail = ("TLS ends at the declared proxy (security.tls.proxy): check its certificate"
                  if sec.tls_proxy else "TLS is not configured (security.tls.enabled is false)")
        return Check("tls", "tls", "skip", detail, required=False)

    def run() -> tuple[Status, str, dict[str, Any]]:
        days, subject, path = certificate_days_left(sec.tls_cert)
        data = {"cert": str(path), "days_left": days, "subject": subject}
        if days < 0:
            return "fail", f"certificate {path} ({subject}) expired {-days} day(s) ago", data
        if days < TLS_WARN_DAYS:
            return "warn", f"certificate {path} ({subject}) expires in {days} day(s)", data
        return "ok", f"certificate {path} ({subject}) valid for {days} days", data

    return timed("tls", "tls", True, run)


def certificate_days_left(path: Path | None) -> tuple[int, str, Path]:
    """Whole days until the PEM certificate at ``path`` expires, and its subject."""
    from cryptography import x509

    from zkredit.errors import ConfigurationError

    if path is None or not path.is_file():
        raise ConfigurationError(f"TLS is enabled but the certificate {path} does not exist")
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not a PEM certificate: {exc}") from exc
    left = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    return left.days, cert.subject.rfc4514_string(), path


def state_parties() -> tuple[str, ...]:
    """Every database of a deployment: each agent's, and the access database (accounts)."""
    from zkredit.users.store import PARTY as ACCESS

    return (*AGENTS, ACCESS)


def party_schema(party: str, schema_prefix: str | None) -> str | None:
    return f"{schema_prefix}_{party}" if schema_prefix else None


def check_database(settings: Settings, party: str, schema_prefix: str | None) -> Check:
    """Connect, measure the size, and compare the recorded revisions with the code's heads."""
    from zkredit.store.db import Database

    def run() -> tuple[Status, str, dict[str, Any]]:
        db = Database.open(party, settings.database.url, settings.app.data_dir,
                           schema=party_schema(party, schema_prefix), create=False)
        try:
            ping = db.ping()
            size = database_size(db)
            heads = db.current_heads()
            data = {"where": db.where, "dialect": db.dialect, "ping_ms": round(ping * 1000, 2),
                    "size_bytes": size, "heads": list(heads)}
            if not heads:
                return "fail", f"{db.where}: no ZKredit tables (never migrated)", data
            if not db.is_up_to_date():
                return "fail", (f"{db.where}: migrations behind (at {', '.join(heads)}); the "
                                f"{party} agent migrates on start, or run `zkredit deploy`"), data
            return "ok", (f"{db.where}: {_size(size)}, migrations at head, ping "
                          f"{ping * 1000:.1f} ms"), data
        finally:
            db.dispose()

    return timed(f"database:{party}", "database", True, run)


def database_size(db: Any) -> int:
    """Bytes the party's state takes: the SQLite file (with its WAL), or the schema's tables."""
    from sqlalchemy import text

    if db.dialect == "sqlite":
        path = Path(db.where)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.is_file())
    with db.engine.connect() as conn:
        size = conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind = 'r'"), {"schema": db.schema}).scalar()
    return int(size or 0)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def check_redis(settings: Settings, timeout_s: float) -> Check:
    url = settings.queue.redis_url
    if not url:
        return Check("redis", "queue", "skip",
                     "no REDIS_URL: each agent runs its jobs in process", required=False)

    def run() -> tuple[Status, str, dict[str, Any]]:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s,
                                      socket_timeout=timeout_s)
        try:
            client.ping()
            info = client.info("memory")
        except redis.exceptions.ConnectionError as exc:
            return "fail", f"Redis unreachable at {_safe_url(url)}: {exc}", {}
        finally:
            client.close()
        used = str(info.get("used_memory_human", "?"))
        return "ok", f"Redis at {_safe_url(url)}: PONG, {used} used", {"used_memory": used}

    return timed("redis", "queue", True, run)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def check_prometheus(settings: Settings, url: str | None, timeout_s: float) -> Check:
    if not url:
        env = settings.environment
        wanted = bool(env and env.services.monitoring.prometheus)
        detail = ("monitoring.prometheus is on in the environment; pass --prometheus-url "
                  "(or PROMETHEUS_URL) to check it" if wanted else "Prometheus not configured")
        return Check("prometheus", "monitoring", "skip", detail, required=False)

    def run() -> tuple[Status, str, dict[str, Any]]:
        try:
            r = httpx.get(f"{url.rstrip('/')}/-/healthy", timeout=timeout_s)
        except httpx.HTTPError as exc:
            return "fail", f"Prometheus unreachable at {url} ({_reason(exc)})", {}
        if r.status_code != 200:
            return "fail", f"Prometheus at {url}: HTTP {r.status_code}", {}
        return "ok", f"Prometheus at {url}: healthy", {"url": url}

    return timed("prometheus", "monitoring", False, run)


def check_system(settings: Settings) -> Check:
    """CPU, memory and the disk that holds the data directory."""

    def run() -> tuple[Status, str, dict[str, Any]]:
        import psutil  # type: ignore[import-untyped]

        cpu = psutil.cpu_percent(interval=0.2)
        memory = psutil.virtual_memory().percent
        where = existing_parent(settings.app.data_dir)
        disk = psutil.disk_usage(str(where)).percent
        data = {"cpu_percent": cpu, "memory_percent": memory, "disk_percent": disk,
                "disk_path": str(where), "cpus": psutil.cpu_count()}
        text = f"CPU {cpu:.0f}%, memory {memory:.0f}%, disk {disk:.0f}% ({where})"
        if disk >= DISK_FAIL_PERCENT:
            return "fail", text + ": the disk is full", data
        high = [n for n, v in (("CPU", cpu), ("memory", memory), ("disk", disk))
                if v >= RESOURCE_WARN_PERCENT]
        if high:
            return "warn", text + f": {', '.join(high)} above {RESOURCE_WARN_PERCENT:.0f}%", data
        return "ok", text, data

    return timed("system", "system", False, run)


def existing_parent(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# -- the whole report -----------------------------------------------------------------------


def run_health(settings: Settings, targets: Targets | None = None) -> HealthReport:
    """Run every check concurrently; the report lists them in a stable order."""
    t = targets or Targets.from_settings(settings)
    start = time.perf_counter()
    jobs: list[Callable[[], Check]] = [lambda: check_system(settings)]
    jobs += [partial(check_service, n, t.urls[n], t.timeout_s) for n in SERVICES if n in t.urls]
    jobs += [lambda: check_chain(settings, t.rpc_url, t.timeout_s),
             lambda: check_circuits(settings), lambda: check_tls(settings)]
    jobs += [partial(check_database, settings, p, t.schema_prefix) for p in t.parties]
    jobs += [lambda: check_redis(settings, t.timeout_s),
             lambda: check_prometheus(settings, t.prometheus_url, t.timeout_s)]
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="health") as pool:
        checks = list(pool.map(lambda job: job(), jobs))
    return HealthReport(settings.app.env.value, checks, time.perf_counter() - start)
