"""An agent app's /metrics: the seed's names, route templates, attacks, telemetry off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.unit.telemetry.support import family_names, samples, value
from zkredit import __version__
from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.demo.privacy import leaked
from zkredit.telemetry import metrics, state, tracing
from zkredit.telemetry.state import TelemetryConfig

SEED_METRICS = {
    "zk_proof_generation_duration_seconds",
    "zk_proof_verification_duration_seconds",
    "zk_proof_verification",  # parser names counter families without _total
    "zk_proof_verification_success",
    "zk_circuit_integrity_status",
    "zk_trusted_setup_status",
    "zk_privacy_score",
    "zk_attack_detection",
    "http_requests",
    "http_request_duration_seconds",
}


def make_app(name: str) -> FastAPI:
    router = APIRouter()

    @router.get("/loans/{loan_id}")
    def loan(loan_id: str) -> dict[str, str]:
        return {"id": loan_id}

    @router.post("/busy")
    def busy() -> JSONResponse:
        return JSONResponse({"detail": "slow down"}, status_code=429)

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    card = AgentCard(name=name, description="", url="http://test", wallet="0x0")
    return create_agent_app(name, lambda: card, [router])


@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    server = ThreadedServer(app, free_port()).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            yield client
    finally:
        server.stop()


def unique() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def test_every_seed_metric_is_exposed_before_any_traffic() -> None:
    with serving(make_app(unique())) as client:
        text = client.get("/metrics").text
    assert family_names(text) >= SEED_METRICS
    assert value(text, "zk_privacy_score") == 100.0
    attacks = samples(text, "zk_attack_detection_total")
    assert {dict(k)["attack_type"] for k in attacks} == set(metrics.ATTACK_TYPES)
    circuits = {dict(k)["circuit_id"] for k in samples(text, "zk_circuit_integrity_status")}
    assert circuits == {"income", "credit_history", "collateral", "identity"}
    generated = samples(text, "zk_proof_generation_duration_seconds_count")
    assert {dict(k)["circuit_type"] for k in generated} == circuits


def test_requests_are_counted_by_route_template_never_by_raw_path() -> None:
    with serving(make_app(unique())) as client:
        client.get("/loans/0123456789")
        client.get("/loans/9876543210")
        client.get("/no/such/path/4242")
        # uvicorn closes a connection after an unhandled error: use fresh ones from here
        httpx.get(str(client.base_url.join("/boom")), timeout=10.0)
        text = httpx.get(str(client.base_url.join("/metrics")), timeout=10.0).text
    counted = samples(text, "http_requests_total")
    assert counted[(("method", "GET"), ("route", "/loans/{loan_id}"), ("status", "200"))] == 2
    assert counted[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert counted[(("method", "GET"), ("route", "/boom"), ("status", "500"))] == 1
    # Whole tokens: as a substring, "4242" turns up inside the exposition's float
    # _created timestamps (``1.7966306594242308e+09``): 2 runs in 300 when measured.
    raw = ["0123456789", "9876543210", "4242"]
    assert leaked(text, raw) == []
    # ... and the check sees a raw path where it would be, in a route label
    assert leaked('http_requests_total{route="/no/such/path/4242"} 1.0\n'
                  "x_created 1.7966306594242308e+09", raw) == ["4242"]
    assert (value(text, "http_request_duration_seconds_count") or 0) >= 4


def test_a_429_counts_as_a_rate_limit_attack() -> None:
    with serving(make_app(unique())) as client:
        client.post("/busy")
        client.post("/busy")
        text = client.get("/metrics").text
    assert value(text, "zk_attack_detection_total", attack_type="rate_limit") == 2


def test_the_correlation_id_is_taken_from_the_caller_or_made_up() -> None:
    with serving(make_app(unique())) as client:
        given = client.get("/loans/1", headers={"X-Correlation-ID": "app-42"})
        made = client.get("/loans/1")
        unsafe = client.get("/loans/1", headers={"X-Correlation-ID": "a b;c"})
    assert given.headers["x-correlation-id"] == "app-42"
    assert len(made.headers["x-correlation-id"]) == 32
    assert unsafe.headers["x-correlation-id"] != "a b;c"


def test_a_request_is_a_server_span_that_continues_the_callers_trace(
    spans: InMemorySpanExporter,
) -> None:
    with serving(make_app(unique())) as client, tracing.span("caller") as caller:
        headers: dict[str, str] = {}
        tracing.inject(headers)
        client.get("/loans/7", headers=headers)
        client.get("/metrics")  # scrapes are not traced
    finished = spans.get_finished_spans()
    server = [s for s in finished if s.name == "GET /loans/{loan_id}"]
    assert len(server) == 1
    assert server[0].context.trace_id == caller.get_span_context().trace_id
    assert server[0].attributes is not None
    assert server[0].attributes["http.route"] == "/loans/{loan_id}"
    assert not [s for s in finished if "metrics" in s.name]


def test_telemetry_off_serves_no_telemetry_and_installs_no_middleware() -> None:
    state.configure(TelemetryConfig(enabled=False))
    app = make_app(unique())
    assert not [m for m in app.user_middleware if "Telemetry" in repr(m)]
    with serving(app) as client:
        client.get("/loans/1")
        text = client.get("/metrics").text
    assert "http_requests_total" not in text
    assert metrics.current() is metrics.NULL


def test_the_gateway_serves_metrics_too() -> None:
    from zkredit.agents.gateway.app import create_app

    with serving(create_app(lambda: {})) as client:
        client.get("/health/live")
        text = client.get("/metrics").text
    assert value(text, "http_requests_total", method="GET", route="/health/live",
                 status="200") is not None
    assert value(text, "zkredit_build_info", agent="gateway", version=__version__) == 1.0
