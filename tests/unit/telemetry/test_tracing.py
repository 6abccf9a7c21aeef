"""Spans leave over OTLP/HTTP to the configured endpoint (the seed's JAEGER_ENDPOINT too)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest

from zkredit.telemetry import setup_telemetry, state, tracing
from zkredit.telemetry.state import TelemetryConfig


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [("http://jaeger:4318", "http://jaeger:4318/v1/traces"),
     ("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/traces"),
     ("http://otel:4318/v1/traces", "http://otel:4318/v1/traces"),
     ("http://jaeger:14268/api/traces", "http://jaeger:4318/v1/traces")],
)
def test_otlp_and_jaeger_endpoints_give_the_otlp_traces_url(endpoint: str, url: str) -> None:
    assert tracing.traces_url(endpoint) == url


class Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Collector.received.append((self.path, self.headers.get("Content-Type", ""), body))
        Collector.arrived.set()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        tracing.shutdown()
        forget_json_logging()


def forget_json_logging() -> None:
    """Undo setup_telemetry's JSON stderr handler, for the tests that follow."""
    logger = logging.getLogger("zkredit")
    for handler in list(logger.handlers):
        if getattr(handler, "_zkredit_json", False):
            logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def settings(jaeger: str | None, otlp: str | None, enabled: bool = True) -> SimpleNamespace:
    return SimpleNamespace(
        telemetry=SimpleNamespace(enabled=enabled, jaeger_endpoint=jaeger, otlp_endpoint=otlp,
                                  metrics_port=0),
        app=SimpleNamespace(log_level="info"))


def test_with_jaeger_endpoint_set_spans_leave_over_otlp(collector: str) -> None:
    Collector.received.clear()
    Collector.arrived.clear()
    setup_telemetry(settings(f"{collector}/api/traces", None), "credit")
    with tracing.span("zk.verify", {"zkredit.circuit": "income"}):
        pass
    tracing.shutdown()  # flushes the batch
    assert Collector.arrived.is_set()
    path, content_type, body = Collector.received[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    assert b"zk.verify" in body and b"credit" in body


def test_telemetry_off_records_no_span() -> None:
    config = setup_telemetry(settings("http://127.0.0.1:9/api/traces", None, enabled=False),
                             "credit")
    forget_json_logging()
    assert config.enabled is False and not tracing.active()
    with tracing.span("nothing") as span:
        assert not span.is_recording()
    state.configure(TelemetryConfig(enabled=True))
