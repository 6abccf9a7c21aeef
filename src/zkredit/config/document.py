"""The schema of an ``environments/<name>.yml`` document.

Every model forbids unknown keys, so a typo is an error rather than a silently
ignored setting. A field that maps onto :class:`zkredit.settings.Settings`
defaults to ``None``, meaning "not set here": the settings default (or ``.env``,
or an environment variable) applies. Fields that only describe the environment
(infrastructure, compliance, the managed services' sizes) carry real defaults.

Secrets (``JWT_SECRET``, ``ENCRYPTION_KEY``, ``PRIVATE_KEY``, the keystore
password) have no place here: they come from ``.env`` or the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EnvironmentKind = Literal["development", "test", "staging", "production"]
LogLevel = Literal["debug", "info", "warning", "error", "critical"]


def _port() -> Any:
    return Field(default=None, ge=1, le=65535)


class Section(BaseModel):
    """A part of the document: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """``runtime:`` with every key commented out is an empty section, not an error."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            k: v
            for k, v in data.items()
            if not (v is None and k in fields and isinstance(fields[k].default, Section))
        }


class Blockchain(Section):
    network: str | None = None
    rpc_url: str | None = None
    chain_id: int | None = Field(default=None, ge=1)


class Database(Section):
    url: str | None = None
    size: Literal["small", "medium", "large"] | None = None
    backup_retention_days: int | None = Field(default=None, ge=0)


class Redis(Section):
    url: str | None = None


class Monitoring(Section):
    enabled: bool | None = None
    prometheus: bool = False
    grafana: bool = False
    alerts: bool = False
    metrics_port: int | None = _port()
    jaeger_endpoint: str | None = None
    otlp_endpoint: str | None = None


class Endpoint(Section):
    """Where one service listens: ``host`` is the interface it binds to."""

    host: str | None = None
    port: int | None = _port()


class Agents(Section):
    gateway: Endpoint = Endpoint()
    worker: Endpoint = Endpoint()
    credit: Endpoint = Endpoint()
    remittance: Endpoint = Endpoint()
    receiver: Endpoint = Endpoint()


class Services(Section):
    blockchain: Blockchain = Blockchain()
    database: Database = Database()
    redis: Redis = Redis()
    monitoring: Monitoring = Monitoring()
    agents: Agents = Agents()


class ZK(Section):
    proofs_enabled: bool | None = None
    security_level: Literal["high", "development"] | None = None
    backend: Literal["groth16py", "snarkjs"] | None = None
    pool_size: int | None = Field(default=None, ge=1)


class TLS(Section):
    enabled: bool | None = None
    """The agents serve HTTPS themselves, with ``cert`` and ``key``."""
    cert: Path | None = None
    key: Path | None = None
    proxy: bool | None = None
    """TLS ends at a trusted proxy in front of the agents (nginx, an Ingress), which reach
    each other over a private network."""


class RateLimiting(Section):
    """``rate_limiting: true`` (the seed's form) or the full mapping."""

    enabled: bool = True
    requests: int | None = Field(default=None, ge=1)
    window_ms: int | None = Field(default=None, ge=1)


class SecurityMonitoring(Section):
    around_the_clock: bool = Field(default=False, alias="24x7")
    security_alerts: bool = False
    performance_monitoring: bool = False


class Security(Section):
    tls: TLS = TLS()
    ssl_certificate: bool = False
    waf_enabled: bool = False
    encryption: bool = True
    encryption_at_rest: bool = False
    encryption_in_transit: bool = False
    rate_limiting: RateLimiting = RateLimiting()
    access_controls: Literal["open", "standard", "strict"] = "standard"
    key_rotation: bool = False
    multi_region_backup: bool = False
    monitoring: SecurityMonitoring = SecurityMonitoring()

    @field_validator("rate_limiting", mode="before")
    @classmethod
    def _rate_limiting_flag(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


class Parameters(Section):
    max_concurrent_requests: int = Field(default=100, ge=1)
    circuit_breaker_threshold: float = Field(default=0.8, gt=0, le=1)
    auto_scaling_enabled: bool = False
    log_level: LogLevel | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class Infrastructure(Section):
    vpc: bool = False
    subnets: int = Field(default=0, ge=0)
    availability_zones: int = Field(default=0, ge=0)
    load_balancers: bool = False
    auto_scaling: bool = False
    cdn: bool = False


class Compliance(Section):
    soc2: bool = False
    iso27001: bool = False
    gdpr: bool = False


class Runtime(Section):
    """Where this process keeps its state. Relative paths are relative to the working
    directory, as they are in environment variables."""

    data_dir: Path | None = None
    keystore_dir: Path | None = None
    deployments_dir: Path | None = None
    keystore_password_file: Path | None = None


class EnvironmentDocument(Section):
    """One ``environments/<name>.yml``. ``environment`` says which kind it is (and so
    which safety rules apply); it defaults to the file's name."""

    name: str
    environment: EnvironmentKind | None = None
    region: str | None = None
    runtime: Runtime = Runtime()
    services: Services = Services()
    zk: ZK = ZK()
    security: Security = Security()
    parameters: Parameters = Parameters()
    infrastructure: Infrastructure = Infrastructure()
    compliance: Compliance = Compliance()


# Document path -> (settings area, field). The one place the two shapes meet.
SETTINGS_MAP: dict[str, tuple[str, str]] = {
    "environment": ("app", "env"),
    "runtime.data_dir": ("app", "data_dir"),
    "runtime.keystore_dir": ("app", "keystore_dir"),
    "runtime.deployments_dir": ("app", "deployments_dir"),
    "runtime.keystore_password_file": ("app", "keystore_password_file"),
    "parameters.log_level": ("app", "log_level"),
    "services.agents.gateway.port": ("app", "port"),
    "services.agents.gateway.host": ("agents", "gateway_host"),
    **{
        f"services.agents.{agent}.{part}": ("agents", f"{agent}_{part}")
        for agent in ("worker", "credit", "remittance", "receiver")
        for part in ("host", "port")
    },
    "services.blockchain.rpc_url": ("chain", "rpc_url"),
    "services.blockchain.chain_id": ("chain", "chain_id"),
    "services.database.url": ("database", "url"),
    "services.redis.url": ("queue", "redis_url"),
    "services.monitoring.enabled": ("telemetry", "enabled"),
    "services.monitoring.metrics_port": ("telemetry", "metrics_port"),
    "services.monitoring.jaeger_endpoint": ("telemetry", "jaeger_endpoint"),
    "services.monitoring.otlp_endpoint": ("telemetry", "otlp_endpoint"),
    "zk.proofs_enabled": ("zk", "enabled"),
    "zk.security_level": ("zk", "security_level"),
    "zk.backend": ("zk", "backend"),
    "zk.pool_size": ("zk", "pool_size"),
    "security.tls.enabled": ("security", "tls_enabled"),
    "security.tls.cert": ("security", "tls_cert"),
    "security.tls.key": ("security", "tls_key"),
    "security.tls.proxy": ("security", "tls_proxy"),
    "security.rate_limiting.requests": ("security", "rate_limit_requests"),
    "security.rate_limiting.window_ms": ("security", "rate_limit_window_ms"),
}


def settings_values(document: EnvironmentDocument) -> dict[str, dict[str, tuple[Any, str]]]:
    """The values ``document`` sets, as area -> field -> (value, document path).

    Only keys written in the file (and not interpolated to nothing) count.
    """
    out: dict[str, dict[str, tuple[Any, str]]] = {}
    for path, (area, field) in SETTINGS_MAP.items():
        node: Any = document
        for part in path.split("."):
            if part not in node.model_fields_set:
                break
            node = getattr(node, part)
        else:
            if node is not None:
                out.setdefault(area, {})[field] = (node, path)
    return out
