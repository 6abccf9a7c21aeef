"""``zkredit perf``: the live system measured against the seed's ``PERFORMANCE_TARGETS``.

Each target is measured two ways where it can be:

- *active*: this command does the work now (proves and verifies each circuit's example
  input with the configured keys, runs a count query on every table of every party, calls
  every service, asks the node for a block number);
- *observed*: what the running services recorded on ``/metrics`` since they started
  (``zk_proof_generation_duration_seconds``, ``zk_proof_verification_duration_seconds``,
  ``zkredit_db_query_duration_seconds``, ``http_request_duration_seconds``,
  ``zkredit_chain_tx_duration_seconds``, and the job queue's depth).

A target is *met* at or under its target, *degraded* up to its max, *missed* beyond; the
figure compared is the worse of the two sources. Recommendations are derived from the
figures (which circuit, which table, which service, how deep the queue), never canned.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from zkredit.bootstrap import agent_urls, build_catalog
from zkredit.ops.health import rpc, state_parties
from zkredit.settings import Settings

PERFORMANCE_TARGETS: dict[str, tuple[float, float]] = {
    "zkProofGeneration": (5000, 10000),
    "zkProofVerification": (100, 500),
    "databaseQuery": (100, 500),
    "apiResponse": (200, 1000),
    "blockchainTransaction": (30000, 120000),
}
"""The seed's targets in ms: (target, max)."""
TITLES = {"zkProofGeneration": "proof generation", "zkProofVerification": "proof verification",
          "databaseQuery": "database query", "apiResponse": "API response",
          "blockchainTransaction": "blockchain transaction"}
Verdict = Literal["met", "degraded", "missed", "not measured"]


@dataclass
class Measurement:
    key: str
    active_ms: float | None = None
    observed_ms: float | None = None
    samples: int = 0
    observed_count: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    worst: str = ""
    """What was slowest (a circuit, a table, a service)."""

    @property
    def figure_ms(self) -> float | None:
        values = [v for v in (self.active_ms, self.observed_ms) if v is not None]
        return max(values) if values else None

    @property
    def target_ms(self) -> float:
        return PERFORMANCE_TARGETS[self.key][0]

    @property
    def max_ms(self) -> float:
        return PERFORMANCE_TARGETS[self.key][1]

    @property
    def verdict(self) -> Verdict:
        figure = self.figure_ms
        if figure is None:
            return "not measured"
        return "met" if figure <= self.target_ms else "degraded" if figure <= self.max_ms \
            else "missed"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": TITLES[self.key], "verdict": self.verdict,
                "figure_ms": _round(self.figure_ms), "target_ms": self.target_ms,
                "max_ms": self.max_ms, "active_ms": _round(self.active_ms),
                "observed_ms": _round(self.observed_ms), "samples": self.samples,
                "observed_count": self.observed_count, "worst": self.worst,
                "detail": self.detail}


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


@dataclass
class PerfReport:
    environment: str
    measurements: list[Measurement]
    queue: dict[str, float]
    recommendations: list[str]
    seconds: float

    @property
    def score(self) -> float:
        measured = [m for m in self.measurements if m.verdict != "not measured"]
        if not measured:
            return 0.0
        points = {"met": 100, "degraded": 50, "missed": 0}
        return round(sum(points[m.verdict] for m in measured) / len(measured), 1)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "score": self.score,
                "seconds": round(self.seconds, 2), "queue": self.queue,
                "measurements": [m.to_json() for m in self.measurements],
                "recommendations": self.recommendations}


# -- /metrics ----------------------------------------------------------------------------------


def scrape(urls: dict[str, str], timeout_s: float = 5.0) -> dict[str, list[Any]]:
    """Every reachable service's metric families, by service name."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, list[Any]] = {}
    for name, url in urls.items():
        try:
            r = httpx.get(f"{url}/metrics", timeout=timeout_s)
            r.raise_for_status()
        except httpx.HTTPError:
            continue
        out[name] = list(text_string_to_metric_families(r.text))
    return out


def histogram(families: dict[str, list[Any]], metric: str, by: str | None = None
              ) -> dict[str, tuple[float, float]]:
    """(sum, count) of a histogram per ``service`` (or ``service/label``), over its labels."""
    totals: dict[str, list[float]] = {}
    for service, fams in families.items():
        for fam in fams:
            if fam.name != metric:
                continue
            for s in fam.samples:
                if not s.name.endswith(("_sum", "_count")):
                    continue
                key = f"{service}/{s.labels.get(by, '')}" if by else service
                slot = totals.setdefault(key, [0.0, 0.0])
                slot[0 if s.name.endswith("_sum") else 1] += s.value
    return {k: (v[0], v[1]) for k, v in totals.items() if v[1] > 0}


def _mean_ms(parts: dict[str, tuple[float, float]]) -> tuple[float | None, int, str]:
    """Overall mean in ms, count, and the key with the worst mean."""
    total = sum(s for s, _ in parts.values())
    count = sum(c for _, c in parts.values())
    if not count:
        return None, 0, ""
    worst = max(parts, key=lambda k: parts[k][0] / parts[k][1])
    return total / count * 1000, int(count), worst


def queue_depth(families: dict[str, list[Any]]) -> dict[str, float]:
    depth: dict[str, float] = {}
    for service, fams in families.items():
        for fam in fams:
            if fam.name == "zkredit_job_queue_depth":
                for s in fam.samples:
                    key = f"{service}/{s.labels.get('state', '')}"
                    depth[key] = depth.get(key, 0.0) + s.value
    return depth


# -- active measurements -----------------------------------------------------------------------


def measure_proofs(settings: Settings, samples: int) -> tuple[Measurement, Measurement]:
    """Prove and verify each circuit's example input ``samples`` times with the keys."""
    from zkredit.zk.prover import Groth16pyBackend

    catalog = build_catalog(settings)
    backend = Groth16pyBackend(catalog, dev_keys=catalog.setup_kind() != "ceremony")
    examples = catalog.circuits_dir / "examples"
    prove: dict[str, list[float]] = {}
    verify: dict[str, list[float]] = {}
    for name in catalog.names():
        path = examples / f"{name}.input.json"
        if not path.is_file():
            continue
        inputs = json.loads(path.read_text())
        backend.warm([name])
        for _ in range(samples):
            start = time.perf_counter()
            proof = backend.prove(name, inputs)
            prove.setdefault(name, []).append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            ok = backend.verify(proof)
            verify.setdefault(name, []).append((time.perf_counter() - start) * 1000)
            if not ok:
                raise RuntimeError(f"the {name} example proof does not verify")
    return _per_key("zkProofGeneration", prove), _per_key("zkProofVerification", verify)


def _per_key(key: str, runs: dict[str, list[float]]) -> Measurement:
    m = Measurement(key)
    if not runs:
        return m
    means = {k: statistics.fmean(v) for k, v in runs.items()}
    m.worst = max(means, key=lambda k: means[k])
    m.active_ms = means[m.worst]
    m.samples = sum(len(v) for v in runs.values())
    m.detail["active_mean_ms"] = {k: round(v, 2) for k, v in means.items()}
    return m


def measure_database(settings: Settings, schema_prefix: str | None, samples: int
                     ) -> Measurement:
    """``SELECT count(*)`` on every table of every party, ``samples`` times each."""
    from sqlalchemy import MetaData, Table, func, inspect, select

    from zkredit.ops.backup.sources import open_party

    m = Measurement("databaseQuery")
    per_table: dict[str, float] = {}
    for party in state_parties():
        try:
            db = open_party(settings, party, schema_prefix)
        except Exception:
            continue
        try:
            with db.engine.connect() as conn:
                metadata = MetaData()
                for name in inspect(conn).get_table_names(schema=db.schema):
                    table = Table(name, metadata, autoload_with=conn, schema=db.schema)
                    query = select(func.count()).select_from(table)
                    times = []
                    for _ in range(samples):
                        start = time.perf_counter()
                        conn.execute(query).scalar_one()
                        times.append((time.perf_counter() - start) * 1000)
                    per_table[f"{party}.{name}"] = statistics.median(times)
                    m.samples += samples
        except Exception as exc:
            m.detail.setdefault("unreachable", []).append(f"{party}: {type(exc).__name__}")
        finally:
            db.dispose()
    if per_table:
        m.worst = max(per_table, key=lambda k: per_table[k])
        m.active_ms = per_table[m.worst]
        m.detail["median_ms_slowest"] = {k: round(per_table[k], 3) for k in sorted(
            per_table, key=lambda k: -per_table[k])[:5]}
    m.detail["dialect"] = "postgresql" if settings.database.url else "sqlite"
    return m


def measure_api(urls: dict[str, str], samples: int) -> Measurement:
    """``GET /health/ready`` of every service, ``samples`` times; the p95 of the slowest."""
    m = Measurement("apiResponse")
    p95: dict[str, float] = {}
    with httpx.Client(timeout=10) as client:
        for name, url in urls.items():
            times = []
            for _ in range(samples):
                start = time.perf_counter()
                try:
                    client.get(f"{url}/health/ready")
                except httpx.HTTPError:
                    break
                times.append((time.perf_counter() - start) * 1000)
            if times:
                times.sort()
                p95[name] = times[min(len(times) - 1, int(0.95 * len(times)))]
                m.samples += len(times)
    if p95:
        m.worst = max(p95, key=lambda k: p95[k])
        m.active_ms = p95[m.worst]
        m.detail["p95_ms"] = {k: round(v, 2) for k, v in p95.items()}
    return m


# -- recommendations ---------------------------------------------------------------------------


def recommend(settings: Settings, ms: dict[str, Measurement], queue: dict[str, float],
              providers: int) -> list[str]:
    out: list[str] = []
    queued = queue.get("worker/queued", 0.0)
    prove = ms["zkProofGeneration"]
    if queued > 0:
        out.append(f"prover workers saturated: queue depth {queued:.0f} on the worker agent "
                   f"with {providers} prover process(es); add a worker "
                   "(`zkredit worker prover`, compose --scale prover=N)")
    if prove.figure_ms is not None and prove.figure_ms > prove.target_ms:
        out.append(f"proof generation: {prove.worst} takes {prove.figure_ms:.0f} ms, over the "
                   f"{prove.target_ms:.0f} ms target: give provers dedicated cores (this host "
                   f"has {_cpus()}), or run prover workers on more machines")
    verify = ms["zkProofVerification"]
    if verify.figure_ms is not None and verify.figure_ms > verify.target_ms:
        out.append(f"proof verification: {verify.worst} takes {verify.figure_ms:.1f} ms, over "
                   f"{verify.target_ms:.0f} ms: the credit agent verifies on its request path; "
                   "check its CPU")
    db = ms["databaseQuery"]
    if db.figure_ms is not None and db.figure_ms > db.target_ms:
        hint = ("move to PostgreSQL (DATABASE_URL)" if db.detail.get("dialect") == "sqlite"
                else "index it or archive old rows")
        out.append(f"database: {db.worst or 'statements'} at {db.figure_ms:.0f} ms, over "
                   f"{db.target_ms:.0f} ms: {hint}")
    api = ms["apiResponse"]
    if api.figure_ms is not None and api.figure_ms > api.target_ms:
        out.append(f"API: {api.worst} answers in {api.figure_ms:.0f} ms, over "
                   f"{api.target_ms:.0f} ms: check its dependencies' timings in `zkredit "
                   "health`, its CPU, and scale the gateway (stateless) if it is the gateway")
    tx = ms["blockchainTransaction"]
    if tx.figure_ms is not None and tx.figure_ms > tx.target_ms:
        out.append(f"chain: {tx.worst or 'transactions'} take {tx.figure_ms / 1000:.0f} s to "
                   f"a receipt, over {tx.target_ms / 1000:.0f} s: raise the priority fee, or "
                   "check the RPC provider")
    if tx.observed_count == 0:
        rtt = tx.detail.get("rpc_round_trip_ms")
        out.append("chain: no transaction on the services' /metrics yet"
                   + (f" (RPC round trip {rtt:.0f} ms)" if rtt is not None else "")
                   + ": run a flow to measure send-to-receipt time")
    if not [r for r in out if not r.startswith("chain: no transaction")]:
        met = [(m, f) for m in ms.values() if (f := m.figure_ms) is not None]
        headroom = ", ".join(f"{TITLES[m.key]} {f / m.target_ms:.0%} of target" for m, f in met)
        unmeasured = [TITLES[m.key] for m in ms.values()
                      if m.figure_ms is None and m.key != "blockchainTransaction"]
        out.append(f"no change needed: every measured target met ({headroom})"
                   + (f"; not measured: {', '.join(unmeasured)} (are the services and their "
                      "databases up? `zkredit health`)" if unmeasured else ""))
    return out


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


# -- the run -----------------------------------------------------------------------------------


def run_perf(settings: Settings, *, samples: int = 3, schema_prefix: str | None = None,
             rpc_url: str | None = None, prove: bool = True,
             step: Callable[[str], None] | None = None) -> PerfReport:
    from zkredit.chain.connect import rpc_url_for

    say = step or (lambda _m: None)
    started = time.perf_counter()
    urls = agent_urls(settings)
    say("reading /metrics")
    families = scrape(urls)
    if prove:
        say("proving and verifying the example inputs")
        gen, ver = measure_proofs(settings, samples)
    else:
        gen, ver = Measurement("zkProofGeneration"), Measurement("zkProofVerification")
    for m, metric, label in ((gen, "zk_proof_generation_duration_seconds", "circuit_type"),
                             (ver, "zk_proof_verification_duration_seconds", "proof_type")):
        mean, count, worst = _mean_ms(histogram(families, metric, label))
        m.observed_ms, m.observed_count = mean, count
        if mean is not None and (m.active_ms is None or mean > m.active_ms):
            m.worst = worst
    say("timing database queries")
    db = measure_database(settings, schema_prefix, samples)
    db.observed_ms, db.observed_count, worst = _mean_ms(
        histogram(families, "zkredit_db_query_duration_seconds"))
    say("timing the services")
    api = measure_api(urls, max(samples * 5, 10))
    api.observed_ms, api.observed_count, worst = _mean_ms(
        histogram(families, "http_request_duration_seconds"))
    if api.observed_ms is not None and (api.active_ms is None or api.observed_ms > api.active_ms):
        api.worst = worst
    tx = Measurement("blockchainTransaction")
    tx.observed_ms, tx.observed_count, tx.worst = _mean_ms(
        histogram(families, "zkredit_chain_tx_duration_seconds", "function"))
    url = rpc_url_for(settings, rpc_url)
    if url:
        say("timing the chain node")
        try:
            start = time.perf_counter()
            rpc(url, "eth_blockNumber", 5)
            rtt = (time.perf_counter() - start) * 1000
            tx.detail["rpc_round_trip_ms"] = round(rtt, 2)
        except Exception as exc:
            tx.detail["rpc_error"] = str(exc)
    measurements = [gen, ver, db, api, tx]
    queue = queue_depth(families)
    providers = settings.zk.pool_size
    recs = recommend(settings, {m.key: m for m in measurements}, queue, providers)
    return PerfReport(settings.app.env.value, measurements, queue, recs,
                      time.perf_counter() - started)

