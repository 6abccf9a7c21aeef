"""Telemetry: Prometheus metrics (the seed's names), OpenTelemetry traces, JSON logs.

Entry points:

* :func:`setup_telemetry` once per process, from settings, before agents are built;
* :func:`install_telemetry` once per agent app (``create_agent_app`` calls it);
* :func:`bind_runtime` once per agent runtime (``PartyRuntime`` calls it);
* :func:`serve_process_metrics` in processes without an agent app (prover workers).

``ENABLE_TELEMETRY=false`` turns all of it into no-ops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zkredit.telemetry.state import TelemetryConfig

if TYPE_CHECKING:
    from zkredit.telemetry.agent import bind_runtime
    from zkredit.telemetry.http import install_telemetry
    from zkredit.telemetry.metrics import record_attack

_LAZY = {
    "bind_runtime": "zkredit.telemetry.agent",
    "install_telemetry": "zkredit.telemetry.http",
    "record_attack": "zkredit.telemetry.metrics",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that the provers (imported by pool processes) do not pull in FastAPI.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zkredit.telemetry' has no attribute {name!r}")

__all__ = [
    "bind_runtime",
    "install_telemetry",
    "record_attack",
    "serve_process_metrics",
    "setup_telemetry",
]


def setup_telemetry(settings: Any, service_name: str, *, catalog: Any = None) -> TelemetryConfig:
    """Configure this process from ``settings`` (a :class:`zkredit.settings.Settings`).

    Sets the on/off switch, ``LOG_LEVEL`` and JSON logging on stderr, and the OTLP
    exporter (``OTEL_EXPORTER_OTLP_ENDPOINT``, else ``JAEGER_ENDPOINT``) under
    ``service_name``; ``catalog`` is the circuit catalog the integrity gauges watch
    (default: the one the settings name).
    """
    from zkredit.telemetry import jobs, state, tracing, zkstatus
    from zkredit.telemetry.logging import setup_logging

    tel = settings.telemetry
    config = TelemetryConfig(
        enabled=bool(tel.enabled),
        service=service_name,
        log_level=str(settings.app.log_level).upper(),
        otlp_endpoint=tel.otlp_endpoint or tel.jaeger_endpoint or None,
    )
    state.configure(config)
    setup_logging()
    if not config.enabled:
        tracing.configure(service_name)
        jobs.uninstall()
        return config
    tracing.configure(service_name, endpoint=config.otlp_endpoint)
    jobs.install()
    zkstatus.watch(catalog)
    return config


def serve_process_metrics(port: int, host: str = "0.0.0.0") -> Any:
    """Serve this process's metrics (no agent app) on ``port``: prover workers, CLI jobs."""
    from prometheus_client import CollectorRegistry, start_http_server

    from zkredit.telemetry import http, metrics, state

    if not state.enabled():
        return None
    metrics.pin_process_metrics()
    registry = CollectorRegistry()
    registry.register(http._Bridge(metrics.process_metrics().registry))
    registry.register(http.CIRCUITS)
    registry.register(http.PROCESS)
    return start_http_server(port, addr=host, registry=registry)
