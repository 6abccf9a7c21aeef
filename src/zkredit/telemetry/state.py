"""The process-wide telemetry switch: on or off, for which service, where spans go.

Read once from the environment (``ENABLE_TELEMETRY``, ``LOG_LEVEL``,
``OTEL_EXPORTER_OTLP_ENDPOINT``, ``JAEGER_ENDPOINT``) unless
:func:`zkredit.telemetry.setup_telemetry` configured it from settings first.
With telemetry off every recording call is a no-op on a shared null object,
no middleware is installed and no span is created.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class TelemetryConfig:
    enabled: bool = True
    service: str = "zkredit"
    log_level: str = "INFO"
    otlp_endpoint: str | None = None
    """Where spans are exported (OTLP over HTTP); ``None`` records no span at all."""


def from_environment() -> TelemetryConfig:
    env = os.environ
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("JAEGER_ENDPOINT") or None
    return TelemetryConfig(
        enabled=env.get("ENABLE_TELEMETRY", "true").strip().lower() not in _FALSE,
        service=env.get("OTEL_SERVICE_NAME", "zkredit"),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        otlp_endpoint=endpoint,
    )


_config: TelemetryConfig | None = None


def config() -> TelemetryConfig:
    global _config
    if _config is None:
        _config = from_environment()
    return _config


def configure(new: TelemetryConfig | None) -> None:
    """Replace the process's configuration (``None``: read the environment again)."""
    global _config
    _config = new


def enabled() -> bool:
    return config().enabled
