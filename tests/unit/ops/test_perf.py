"""zkredit perf: verdicts against the seed's targets, /metrics parsing, recommendations
that follow from the figures, and a real proof measured on the committed keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from zkredit.ops.perf import (
    Measurement,
    histogram,
    measure_proofs,
    queue_depth,
    recommend,
)
from zkredit.settings import load_settings


@pytest.mark.parametrize(("key", "figure", "verdict"), [
    ("zkProofGeneration", 4999.0, "met"), ("zkProofGeneration", 7000.0, "degraded"),
    ("zkProofGeneration", 10001.0, "missed"), ("apiResponse", 200.0, "met"),
    ("databaseQuery", None, "not measured")])
def test_verdicts(key: str, figure: float | None, verdict: str) -> None:
    assert Measurement(key, active_ms=figure).verdict == verdict


def test_the_worse_of_active_and_observed_decides() -> None:
    m = Measurement("apiResponse", active_ms=20.0, observed_ms=1500.0)
    assert m.figure_ms == 1500.0 and m.verdict == "missed"


def _families() -> dict[str, list[object]]:
    r = CollectorRegistry()
    h = Histogram("zk_proof_generation_duration_seconds", "x", ["circuit_type"], registry=r)
    h.labels(circuit_type="income").observe(0.2)
    h.labels(circuit_type="identity").observe(1.0)
    h.labels(circuit_type="identity").observe(3.0)
    Gauge("zkredit_job_queue_depth", "x", ["state"], registry=r).labels(state="queued").set(14)
    return {"worker": list(text_string_to_metric_families(generate_latest(r).decode()))}


def test_histograms_and_queue_depth_from_metrics_text() -> None:
    fams = _families()
    parts = histogram(fams, "zk_proof_generation_duration_seconds", "circuit_type")
    assert parts == {"worker/income": (0.2, 1.0), "worker/identity": (4.0, 2.0)}
    assert queue_depth(fams) == {"worker/queued": 14.0}


def test_recommendations_follow_the_figures() -> None:
    settings = load_settings(check=False, env="development")
    ms = {k: Measurement(k) for k in ("zkProofGeneration", "zkProofVerification",
                                      "databaseQuery", "apiResponse", "blockchainTransaction")}
    ms["zkProofGeneration"] = Measurement("zkProofGeneration", observed_ms=7200.0,
                                          worst="worker/identity")
    ms["databaseQuery"] = Measurement("databaseQuery", active_ms=640.0,
                                      worst="credit.applications", detail={"dialect": "sqlite"})
    ms["blockchainTransaction"] = Measurement("blockchainTransaction", observed_ms=2000.0,
                                              observed_count=3)
    recs = recommend(settings, ms, {"worker/queued": 14.0}, providers=2)
    assert recs[0] == ("prover workers saturated: queue depth 14 on the worker agent with 2 "
                       "prover process(es); add a worker (`zkredit worker prover`, compose "
                       "--scale prover=N)")
    assert any("worker/identity takes 7200 ms, over the 5000 ms target" in r for r in recs)
    assert any("credit.applications at 640 ms" in r and "PostgreSQL" in r for r in recs)
    calm = recommend(settings, {k: Measurement(k, active_ms=1.0, observed_count=1)
                                for k in ms}, {}, providers=2)
    assert calm[0].startswith("no change needed: every measured target met")


@pytest.mark.slow
def test_proofs_are_measured_on_the_committed_keys(tmp_path: Path) -> None:
    settings = load_settings(check=False, env="development")
    gen, ver = measure_proofs(settings, samples=1)
    assert gen.samples == 4 and set(gen.detail["active_mean_ms"]) == {
        "income", "credit_history", "collateral", "identity"}
    assert gen.active_ms is not None and gen.active_ms > 0 and gen.worst
    assert ver.active_ms is not None and ver.verdict in ("met", "degraded", "missed")
