"""The telemetry an agent app gets from one call: :func:`install_telemetry`.

It adds a pure-ASGI middleware that, per request, records
``http_requests_total{method,route,status}`` (``route`` is the matched route's
template, ``unmatched`` when none matched) and ``http_request_duration_seconds``,
counts 429 answers as ``rate_limit`` attacks, opens a server span continuing
the caller's ``traceparent``, sets the correlation id (echoed in
``X-Correlation-ID``) and makes this agent the one lower layers record for.
It also puts the agent's metrics, the circuit and trusted-setup gauges and the
chain gauges on the registry the app serves at ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zkredit import __version__
from zkredit.telemetry import chain, context, jobs, metrics, state, tracing, zkstatus

UNTRACED_PREFIXES = ("/metrics", "/health")
"""Scrapes and probes are counted but get no span (they would drown the traces)."""


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp, agent: metrics.AgentMetrics) -> None:
        self.app = app
        self.agent = agent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", ())}
        cid = (context.clean(headers.get(context.HEADER.lower()))
               or context.new_correlation_id())
        method = str(scope.get("method", "GET"))
        path = str(scope.get("path", ""))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [
                    *message.get("headers", ()),
                    (context.HEADER.encode("latin-1"), cid.encode("latin-1"))]}
            await send(message)

        traced = tracing.active() and not path.startswith(UNTRACED_PREFIXES)
        with metrics.scoped(self.agent), context.correlated(cid):
            if not traced:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    self._record(scope, method, status, started)
                return
            parent = tracing.extract(headers)
            with tracing.span(method, {"http.request.method": method},
                              kind=SpanKind.SERVER, parent=parent) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    route = self._record(scope, method, status, started)
                    span.update_name(f"{method} {route}")
                    tracing.set_attributes(span, {"http.route": route,
                                                  "http.response.status_code": status})

    def _record(self, scope: Scope, method: str, status: int, started: float) -> str:
        route = route_template(scope)
        self.agent.http_request(method, route, status, time.perf_counter() - started)
        if status == 429:
            self.agent.attack("rate_limit")
        return route


class _Bridge(Collector):
    """Serves another registry's metrics (the agent's) from the app's registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        return iter(self.source.collect())


class _BuildInfo(Collector):
    def __init__(self, agent: str) -> None:
        self.agent = agent

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("zkredit_build_info", "Version of this agent, always 1",
                                 labels=["version", "agent"])
        info.add_metric([__version__, self.agent], 1.0)
        yield info


CIRCUITS = zkstatus.CircuitStatusCollector()
CHAIN = chain.ChainCollector()
PROCESS = ProcessCollector(registry=None)  # process_cpu_seconds_total, memory, fds, start


def install_telemetry(app: FastAPI, name: str, registry: CollectorRegistry) -> None:
    """Metrics, traces and correlation ids for agent ``name``'s ``app``, served on ``registry``.

    Does nothing with ``ENABLE_TELEMETRY=false``.
    """
    if not state.enabled():
        return
    agent = metrics.for_agent(name)
    agent.prepare(zkstatus.circuit_names())
    jobs.install()
    collectors: list[Any] = [_Bridge(agent.registry), CIRCUITS, CHAIN, PROCESS,
                             _BuildInfo(name)]
    for collector in collectors:
        registry.register(collector)
    app.add_middleware(TelemetryMiddleware, agent=agent)
    app.state.telemetry = agent


def install_metrics_endpoint(app: FastAPI, name: str) -> CollectorRegistry:
    """``GET /metrics`` plus :func:`install_telemetry`, for an app not made by create_agent_app."""
    from fastapi import Response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = CollectorRegistry()
    install_telemetry(app, name, registry)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
