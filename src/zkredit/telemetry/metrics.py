"""Prometheus metrics, one set per agent, under the seed's names.

Every agent has one :class:`AgentMetrics` (its own ``CollectorRegistry``), served at
its ``/metrics``. Code below the agents (the provers, the chain client, the job
runner, the database) does not know which agent it works for, so it records into
:func:`current`: the agent whose HTTP request or job is running in this context
(set by the HTTP middleware and the job hooks), else the process's own set
(prover workers and the CLI serve that one on ``METRICS_PORT``).

Labels carry bounded, public values only: circuit names, route templates, job
kinds, contract function names, states. Never an id, an amount or a raw path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from zkredit.telemetry import state
from zkredit.telemetry.privacy import PrivacyAudit

ATTACK_TYPES = ("nullifier_replay", "tampered_proof", "forged_signature", "rate_limit")
"""What ``zk_attack_detection_total{attack_type}`` counts (others count as ``other``)."""

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
DB_OPERATIONS = frozenset({"select", "insert", "update", "delete", "begin", "commit"})
JOB_OUTCOMES = ("succeeded", "failed", "dead")

_PROVE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
_VERIFY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_TX_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_GAS_BUCKETS = (21_000, 50_000, 100_000, 250_000, 500_000, 1e6, 2e6, 5e6, 1e7, 3e7)
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
_COST_BUCKETS = (50, 100, 150, 200, 250, 300, 400, 500, 750, 1000)
_DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class AgentMetrics:
    """The metric families of one agent (or of the process), on ``registry``."""

    def __init__(self, agent: str, registry: CollectorRegistry | None = None) -> None:
        self.agent = agent
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "http_requests", "HTTP requests served, by route template",
            ["method", "route", "status"], registry=r)
        self.http_duration = Histogram(
            "http_request_duration_seconds", "Time to serve an HTTP request", registry=r)
        self.proof_generation = Histogram(
            "zk_proof_generation_duration_seconds", "Time to generate (and self-check) a proof",
            ["circuit_type"], buckets=_PROVE_BUCKETS, registry=r)
        self.proof_verification = Histogram(
            "zk_proof_verification_duration_seconds", "Time to verify a received proof",
            ["proof_type"], buckets=_VERIFY_BUCKETS, registry=r)
        self.verifications = Counter(
            "zk_proof_verification", "Received proofs verified", registry=r)
        self.verified = Counter(
            "zk_proof_verification_success", "Received proofs that verified", registry=r)
        self.attacks = Counter(
            "zk_attack_detection", "Detected attacks: replayed nullifiers, tampered proofs, "
            "forged agent signatures, rate-limit trips", ["attack_type"], registry=r)
        for kind in ATTACK_TYPES:
            self.attacks.labels(kind)
        self.chain_tx = Histogram(
            "zkredit_chain_tx_duration_seconds", "Send-to-receipt time of a transaction",
            ["function", "status"], buckets=_TX_BUCKETS, registry=r)
        self.chain_gas = Histogram(
            "zkredit_chain_tx_gas_used", "Gas used by a mined transaction", ["function"],
            buckets=_GAS_BUCKETS, registry=r)
        self.chain_errors = Counter(
            "zkredit_chain_rpc_errors", "Requests the chain node did not answer", registry=r)
        self.jobs = Counter(
            "zkredit_jobs", "Job attempts by outcome (dead: attempts exhausted)",
            ["kind", "outcome"], registry=r)
        self.job_duration = Histogram(
            "zkredit_job_duration_seconds", "Time one job attempt ran", ["kind"],
            buckets=_JOB_BUCKETS, registry=r)
        self.db_query = Histogram(
            "zkredit_db_query_duration_seconds", "Time of one database statement",
            ["operation"], buckets=_DB_BUCKETS, registry=r)
        self.quote_cost = Histogram(
            "zkredit_remittance_quote_cost_bps", "Total cost (fees and FX markup) of each "
            "issued quote, basis points of the principal (SDG 10.c: at most 300)", ["route"],
            buckets=_COST_BUCKETS, registry=r)
        self.privacy = PrivacyAudit()
        self.privacy_inspections = Counter(
            "zkredit_privacy_inspections", "Messages, log records and span attributes inspected "
            "for private fields", ["source"], registry=r)
        self.privacy_flagged = Counter(
            "zkredit_privacy_flagged", "Inspections that found a private field (redacted)",
            ["source"], registry=r)
        for source in PrivacyAudit.SOURCES:
            self.privacy_inspections.labels(source)
            self.privacy_flagged.labels(source)
        self.privacy_score = Gauge(
            "zk_privacy_score", "Percent of recent inspections that carried no private field",
            registry=r)
        self.privacy_score.set_function(self.privacy.score)

    def prepare(self, circuits: list[str]) -> None:
        """Export the proof series of ``circuits`` at zero before the first proof."""
        for circuit in circuits:
            self.proof_generation.labels(circuit)
            self.proof_verification.labels(circuit)

    # -- what instrumented code records -------------------------------------------------

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in HTTP_METHODS else "OTHER"
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.observe(seconds)

    def proof_generated(self, circuit: str, seconds: float) -> None:
        self.proof_generation.labels(circuit).observe(seconds)

    def proof_verified(self, proof_type: str, seconds: float, ok: bool) -> None:
        self.proof_verification.labels(proof_type).observe(seconds)
        self.verifications.inc()
        if ok:
            self.verified.inc()
        else:
            self.attack("tampered_proof")

    def attack(self, attack_type: str) -> None:
        self.attacks.labels(attack_type if attack_type in ATTACK_TYPES else "other").inc()

    def chain_transaction(
        self, function: str, seconds: float, status: str, gas_used: int | None
    ) -> None:
        self.chain_tx.labels(function, status).observe(seconds)
        if gas_used is not None:
            self.chain_gas.labels(function).observe(gas_used)

    def chain_unreachable(self) -> None:
        self.chain_errors.inc()

    def job_attempt(self, kind: str, outcome: str, seconds: float | None) -> None:
        self.jobs.labels(kind, outcome).inc()
        if seconds is not None:
            self.job_duration.labels(kind).observe(seconds)

    def db_statement(self, operation: str, seconds: float) -> None:
        op = operation if operation in DB_OPERATIONS else "other"
        self.db_query.labels(op).observe(seconds)

    def quote_issued(self, route: str, total_cost_bps: int) -> None:
        self.quote_cost.labels(route).observe(total_cost_bps)

    def privacy_inspected(self, source: str, flagged: bool) -> None:
        self.privacy_inspections.labels(source).inc()
        if flagged:
            self.privacy_flagged.labels(source).inc()
        self.privacy.record(flagged)


class NullMetrics(AgentMetrics):
    """What :func:`current` returns with telemetry off: records nothing."""

    def __init__(self) -> None:  # no registry, no families
        self.agent = "off"
        self.registry = CollectorRegistry()

    def prepare(self, circuits: list[str]) -> None:
        pass

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        pass

    def proof_generated(self, circuit: str, seconds: float) -> None:
        pass

    def proof_verified(self, proof_type: str, seconds: float, ok: bool) -> None:
        pass

    def attack(self, attack_type: str) -> None:
        pass

    def chain_transaction(
        self, function: str, seconds: float, status: str, gas_used: int | None
    ) -> None:
        pass

    def chain_unreachable(self) -> None:
        pass

    def job_attempt(self, kind: str, outcome: str, seconds: float | None) -> None:
        pass

    def db_statement(self, operation: str, seconds: float) -> None:
        pass

    def quote_issued(self, route: str, total_cost_bps: int) -> None:
        pass

    def privacy_inspected(self, source: str, flagged: bool) -> None:
        pass


NULL = NullMetrics()
PROCESS = "process"

_agents: dict[str, AgentMetrics] = {}
_agents_lock = threading.Lock()
_scope: ContextVar[AgentMetrics | None] = ContextVar("zkredit_metrics", default=None)


_pinned: AgentMetrics | None = None


def pin_process_metrics(pinned: bool = True) -> None:
    """Record everything into the process's set, whichever agent a job came from.

    For processes that serve one registry on ``METRICS_PORT`` (prover workers): the
    jobs they run were enqueued by the worker agent, but their metrics are this
    process's, labelled by Prometheus with the process's own target labels.
    """
    global _pinned
    _pinned = None
    if pinned:
        _pinned = for_agent(PROCESS)


def for_agent(name: str) -> AgentMetrics:
    """The metrics of agent ``name`` in this process (one agent of each name per process)."""
    if not state.enabled():
        return NULL
    if _pinned is not None:
        return _pinned
    with _agents_lock:
        metrics = _agents.get(name)
        if metrics is None:
            metrics = _agents[name] = AgentMetrics(name)
        return metrics


def process_metrics() -> AgentMetrics:
    """The process's own set: what runs outside any agent (prover workers, the CLI)."""
    return for_agent(PROCESS)


def current() -> AgentMetrics:
    """The set of the agent this code runs for (see the module docstring)."""
    if not state.enabled():
        return NULL
    return _pinned or _scope.get() or process_metrics()


def current_agent() -> str | None:
    scoped = _scope.get()
    return scoped.agent if scoped is not None else None


@contextmanager
def scoped(metrics: AgentMetrics) -> Iterator[None]:
    """Record into ``metrics`` inside the block (and in what it calls)."""
    token = _scope.set(metrics)
    try:
        yield
    finally:
        _scope.reset(token)


def record_attack(attack_type: str, agent: str | None = None) -> None:
    """Count one detected attack for ``agent`` (default: the current one)."""
    (for_agent(agent) if agent else current()).attack(attack_type)


def reset_for_tests() -> None:
    """Forget every agent's metrics (tests that count from zero)."""
    with _agents_lock:
        _agents.clear()
