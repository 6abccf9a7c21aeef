"""Fixtures for telemetry tests: a known switch position, spans in memory, scraping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from zkredit.telemetry import state, tracing
from zkredit.telemetry.state import TelemetryConfig


@pytest.fixture(autouse=True)
def telemetry_on() -> Iterator[None]:
    state.configure(TelemetryConfig(enabled=True))
    yield
    state.configure(None)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("test", exporter=exporter)
    yield exporter
    tracing.shutdown()
