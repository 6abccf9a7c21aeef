"""OpenTelemetry tracing: one tracer provider per process, W3C trace context between agents.

Spans are recorded only when an exporter is configured (:func:`configure`, from
``OTEL_EXPORTER_OTLP_ENDPOINT`` or the seed's ``JAEGER_ENDPOINT``: Jaeger accepts
OTLP); otherwise :func:`tracer` is OpenTelemetry's no-op tracer and a span costs
a function call. The provider is this module's, not the global one, so a test
can install an in-memory exporter and take it away again.

Context crosses agents in the ``traceparent`` header of every envelope POST
(:mod:`zkredit.agents.common.messaging`) and crosses the job queue in the
payload's carrier (:mod:`zkredit.jobs.hooks`). A loan application is one trace
even though the borrower accepts its offer in a later request: the first
message sent under a correlation id (the application id) remembers its span,
and a later message with the same correlation id from another trace continues
that trace, linking the trace it came from.

Span attributes are circuit names, agent names, message types, route
templates, statuses and timings; :func:`set_attributes` redacts any field on the
privacy deny-list and feeds the privacy audit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from zkredit.telemetry import metrics, privacy

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_noop = trace.NoOpTracer()
_TRACER_NAME = "zkredit"

_CORRELATED_MAX = 4096
_correlated: OrderedDict[str, trace.SpanContext] = OrderedDict()
_correlated_lock = threading.Lock()


def configure(
    service: str,
    *,
    endpoint: str | None = None,
    exporter: SpanExporter | None = None,
) -> TracerProvider | None:
    """Record spans for ``service``: to ``exporter`` (synchronously, tests) or OTLP ``endpoint``.

    With neither, tracing stays off. Replaces (and shuts down) any earlier provider.
    """
    global _provider
    old, _provider = _provider, None
    if old is not None:
        old.shutdown()
    if exporter is None and not endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
            endpoint=traces_url(endpoint or ""))))
    _provider = provider
    return provider


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector URL.

    ``http://jaeger:4318`` gives ``http://jaeger:4318/v1/traces``. The seed's
    ``JAEGER_ENDPOINT`` names Jaeger's legacy Thrift collector
    (``http://jaeger:14268/api/traces``); the same Jaeger takes OTLP on port 4318
    (any other port is kept: a proxy or a test collector).
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(endpoint.rstrip("/"))
    if parts.path.endswith("/api/traces"):
        port = 4318 if parts.port in (None, 14268) else parts.port
        netloc = f"{parts.hostname or 'localhost'}:{port}"
        return urlunsplit((parts.scheme or "http", netloc, "/v1/traces", "", ""))
    base = urlunsplit(parts)
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def shutdown() -> None:
    configure("zkredit")


def active() -> bool:
    return _provider is not None


def tracer() -> trace.Tracer:
    return _provider.get_tracer(_TRACER_NAME) if _provider is not None else _noop


def set_attributes(span: Span, attributes: Mapping[str, Any]) -> None:
    """Set ``attributes`` on ``span``, redacting deny-listed ones (and auditing them)."""
    if not span.is_recording():
        return
    flagged = False
    for key, value in attributes.items():
        if value is None:
            continue
        if privacy.is_private(key.rsplit(".", 1)[-1]):
            flagged = True
            value = privacy.keyed_hash(value)
        elif not isinstance(value, (str, bool, int, float)):
            value = str(value)
        span.set_attribute(key, value)
    metrics.current().privacy_inspected("span", flagged)


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
    links: list[Link] | None = None,
) -> Iterator[Span]:
    """A span around the block (a no-op span when tracing is off)."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, links=links or ()
    ) as current:
        agent = metrics.current_agent()
        set_attributes(current, {"zkredit.agent": agent, **(attributes or {})})
        yield current


def inject(carrier: dict[str, Any]) -> None:
    """Add the current trace context (``traceparent``) to ``carrier``, if a span is active."""
    if _provider is not None:
        _propagator.inject(carrier)


def extract(carrier: Mapping[str, Any] | None) -> otel_context.Context | None:
    """The trace context in ``carrier`` (header names lower case), or ``None``."""
    if _provider is None or not carrier or "traceparent" not in carrier:
        return None
    return _propagator.extract({"traceparent": str(carrier["traceparent"])})


@contextmanager
def continued(correlation_id: str | None) -> Iterator[None]:
    """Run the block in the trace that first used ``correlation_id`` (see module docstring)."""
    if _provider is None or not correlation_id:
        yield
        return
    here = trace.get_current_span().get_span_context()
    with _correlated_lock:
        first = _correlated.get(correlation_id)
        if first is not None:
            _correlated.move_to_end(correlation_id)
        elif here.is_valid:
            _correlated[correlation_id] = here
            if len(_correlated) > _CORRELATED_MAX:
                _correlated.popitem(last=False)
    if first is None or not here.is_valid or first.trace_id == here.trace_id:
        yield
        return
    parent = trace.set_span_in_context(trace.NonRecordingSpan(first))
    with tracer().start_as_current_span(
        "continue " + correlation_id[:16], context=parent, links=[Link(here)]
    ) as current:
        set_attributes(current, {"zkredit.agent": metrics.current_agent(),
                                 "zkredit.continued_from": format(here.trace_id, "032x")})
        yield
