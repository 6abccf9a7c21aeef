"""End-to-end benchmark: scenario 2 from application to on-chain attestation, on anvil
and on the embedded py-evm chain, plus p50/p99 latency of the quote and health endpoints.

Each scenario-2 run uses a fresh identity (a fresh nullifier), onboarded untimed; the
timed span is the worker's loan request until the lender's decision with its on-chain
attestation is visible to the worker (proving, off-chain verification, decision and the
verifyAndAttestFor transaction included).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from zkredit.agents.launcher import free_port
from zkredit.chain.node import AnvilNode
from zkredit.demo import flows
from zkredit.demo.system import LiveSystem
from zkredit.errors import ZKreditError
from zkredit.scenarios import SAMUEL


def _percentile(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _scenario2_runs(system: LiveSystem, runs: int) -> list[float]:
    client = flows.WorkerClient(system.worker_url)
    times = []
    try:
        for i in range(runs + 1):  # first run warms the prover pool
            out = flows.Outcome("bench")
            a = SAMUEL
            birth = (a.birth_date.year, a.birth_date.month, a.birth_date.day)
            ident = flows.onboard(system, client, f"{a.name} #{i}", birth, a.jurisdiction,
                                  a.kyc_level, out)
            flows.issue_applicant(system, client, ident, a, system.today(), out)
            t = time.perf_counter()
            applied = client.apply(ident["identity_id"], {
                "lender": "credit", "amount_minor": a.loan_minor, "currency": a.currency,
                "months": a.loan_months, "payout": {"route": "bank_transfer", "recipient": {
                    "name": a.name, "account": "0123456789", "bank": "Zenith Bank",
                    "country": "NG"}}})
            result = client.loan(applied["id"], wait=240)
            elapsed = time.perf_counter() - t
            attestation = (result.get("decision") or {}).get("attestation") or {}
            if result["status"] != "approved" or not attestation.get("tx_hash"):
                raise ZKreditError(f"benchmark scenario 2 did not attest: {result}")
            if i:
                times.append(elapsed)
    finally:
        client.http.close()
    return times


def _latencies(system: LiveSystem, requests: int) -> dict[str, dict[str, float]]:
    base = f"http://127.0.0.1:{system.ports['remittance']}"
    out: dict[str, dict[str, float]] = {}
    from zkredit.bench.http import bench_login

    with httpx.Client(base_url=base, timeout=30, headers=bench_login(base)) as http:
        def quote() -> httpx.Response:
            return http.post("/quotes", json={
                "send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
                "receive_amount_minor": 1_500_000})

        def health() -> httpx.Response:
            return http.get("/health")

        calls: tuple[tuple[str, Callable[[], httpx.Response]], ...] = (
            ("quote", quote), ("health", health))
        for name, call in calls:
            call()
            xs = []
            for _ in range(requests):
                t = time.perf_counter()
                r = call()
                xs.append(time.perf_counter() - t)
                if r.status_code >= 400:
                    raise ZKreditError(f"{name} endpoint answered {r.status_code}: {r.text}")
            out[name] = {"p50_ms": round(_percentile(xs, 0.5) * 1000, 2),
                         "p99_ms": round(_percentile(xs, 0.99) * 1000, 2)}
    return out


def _telemetry_cost(root: Path, requests: int) -> dict[str, Any]:
    """Quote latency with ENABLE_TELEMETRY=false and =true, each on a fresh system.

    Off installs no middleware and records nothing; on is the default (metrics, and
    spans only where an exporter is configured). ``on_vs_off_p50`` is the ratio the
    issue bounds at 1.15.
    """
    from zkredit.telemetry import state
    from zkredit.telemetry.state import TelemetryConfig

    before = state.config()
    out: dict[str, Any] = {}
    try:
        for label, enabled in (("off", False), ("on", True)):
            state.configure(TelemetryConfig(enabled=enabled))
            with LiveSystem(root / f"telemetry-{label}", capture_bodies=False) as system:
                out[f"quote_telemetry_{label}"] = _latencies(system, requests)["quote"]
    finally:
        state.configure(before)
    off, on = out["quote_telemetry_off"]["p50_ms"], out["quote_telemetry_on"]["p50_ms"]
    out["on_vs_off_p50"] = round(on / off, 3) if off else None
    return out


def run_e2e_bench(runs: int = 3, requests: int = 200, *, anvil: bool = True,
                  pyevm: bool = True, telemetry_cost: bool = False,
                  baseline_ref: str | None = None, baseline_rounds: int = 5,
                  current_ref: str | None = None) -> dict[str, Any]:
    """The report ``zkredit bench e2e --json`` prints.

    With ``baseline_ref`` the telemetry cost is measured against that commit too (see
    :mod:`zkredit.bench.baseline`): rounds of fresh systems, each in its own process,
    instead of the two in-process systems.
    """
    report: dict[str, Any] = {"runs": runs}
    with tempfile.TemporaryDirectory(prefix="zkredit-bench-") as tmp:
        root = Path(tmp)
        if anvil:
            node = AnvilNode(root / "anvil")
            info, _ = node.start(port=free_port())
            try:
                with LiveSystem(root / "anvil-run", rpc_url=info.url,
                                capture_bodies=False) as system:
                    times = _scenario2_runs(system, runs)
                    report["scenario2_anvil_s"] = round(statistics.median(times), 3)
                    report["scenario2_anvil_runs_s"] = [round(t, 3) for t in times]
                    report["latency"] = _latencies(system, requests)
            finally:
                node.stop()
        if pyevm:
            with LiveSystem(root / "pyevm-run", capture_bodies=False) as system:
                times = _scenario2_runs(system, runs)
                report["scenario2_pyevm_s"] = round(statistics.median(times), 3)
                report["scenario2_pyevm_runs_s"] = [round(t, 3) for t in times]
                if "latency" not in report:
                    report["latency"] = _latencies(system, requests)
        if telemetry_cost and baseline_ref:
            from zkredit.bench.baseline import measure_against_baseline

            report["telemetry"] = measure_against_baseline(
                baseline_ref, requests, baseline_rounds, current_ref=current_ref)
        elif telemetry_cost:
            report["telemetry"] = _telemetry_cost(root, requests)
    return report
