"""Typed settings, read from the environment (and ``.env``) by pydantic-settings.

One nested model per area. Each model reads the flat variable names the seed's
``.env`` uses (``CHAIN_ID``, ``DATABASE_URL``, ``ZK_ZKEY_PATH`` ...), so an
operator's existing environment works unchanged. Nothing here is built at
import time: call :func:`load_settings` from the composition root.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zkredit.errors import ConfigurationError


def project_root() -> Path:
    """The checkout holding ``circuits/``: ``ZKREDIT_HOME``, else the source tree, else cwd."""
    home = os.environ.get("ZKREDIT_HOME")
    if home:
        return Path(home).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "circuits" / "circuits.json").is_file():
            return parent
    return Path.cwd()


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


_ENV_FILE = ".env"


def _cfg() -> SettingsConfigDict:
    return SettingsConfigDict(
        env_file=_ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,
    )


def _env(*names: str) -> Any:
    return Field(validation_alias=AliasChoices(*names))


class AppSettings(BaseSettings):
    model_config = _cfg()

    env: Annotated[Environment, _env("ZKREDIT_ENV", "NODE_ENV")] = Environment.DEVELOPMENT
    port: Annotated[int, _env("PORT")] = 3000
    log_level: Annotated[
        Literal["debug", "info", "warning", "error", "critical"], _env("LOG_LEVEL")
    ] = "info"
    data_dir: Annotated[Path, _env("ZKREDIT_DATA_DIR")] = Path("data")

    @model_validator(mode="before")
    @classmethod
    def _lower(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("LOG_LEVEL", "log_level", "NODE_ENV", "ZKREDIT_ENV", "env"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].lower()
        return data


class ChainSettings(BaseSettings):
    model_config = _cfg()

    chain_id: Annotated[int, _env("CHAIN_ID")] = 1337
    rpc_url: Annotated[str | None, _env("RPC_URL")] = None
    private_key: Annotated[str, _env("PRIVATE_KEY")] = "0x" + "00" * 32
    verifier_address: Annotated[str, _env("ZK_CREDIT_VERIFIER_ADDRESS")] = "0x" + "00" * 20


class DatabaseSettings(BaseSettings):
    model_config = _cfg()

    url: Annotated[str | None, _env("DATABASE_URL")] = None


class QueueSettings(BaseSettings):
    model_config = _cfg()

    redis_url: Annotated[str | None, _env("REDIS_URL")] = None


class ZKSettings(BaseSettings):
    model_config = _cfg()

    enabled: Annotated[bool, _env("ENABLE_ZK_PROOFS")] = True
    security_level: Annotated[Literal["high", "development"], _env("ZK_SECURITY_LEVEL")] = "high"
    wasm_path: Annotated[Path | None, _env("ZK_WASM_PATH")] = None
    zkey_path: Annotated[Path | None, _env("ZK_ZKEY_PATH")] = None
    manifest_path: Annotated[Path | None, _env("ZK_CIRCUITS_MANIFEST")] = None
    backend: Annotated[Literal["groth16py", "snarkjs"], _env("ZK_PROVER_BACKEND")] = "groth16py"
    pool_size: Annotated[int, _env("ZK_PROVER_POOL_SIZE")] = 2
    node_bin: Annotated[str, _env("ZK_NODE_BIN")] = "node"

    @cached_property
    def keys_dir(self) -> Path:
        return self.zkey_path or project_root() / "circuits" / "keys"

    @cached_property
    def wasm_dir(self) -> Path:
        return self.wasm_path or self.keys_dir

    @cached_property
    def circuits_manifest(self) -> Path:
        return self.manifest_path or project_root() / "circuits" / "circuits.json"


class AgentSettings(BaseSettings):
    model_config = _cfg()

    worker_port: Annotated[int, _env("WORKER_AGENT_PORT")] = 3001
    credit_port: Annotated[int, _env("CREDIT_AGENT_PORT")] = 3002
    remittance_port: Annotated[int, _env("REMITTANCE_AGENT_PORT")] = 3003
    receiver_port: Annotated[int, _env("RECEIVER_AGENT_PORT")] = 3004


class TelemetrySettings(BaseSettings):
    model_config = _cfg()

    enabled: Annotated[bool, _env("ENABLE_TELEMETRY")] = True
    metrics_port: Annotated[int, _env("METRICS_PORT")] = 9090
    jaeger_endpoint: Annotated[str | None, _env("JAEGER_ENDPOINT")] = None
    otlp_endpoint: Annotated[str | None, _env("OTEL_EXPORTER_OTLP_ENDPOINT")] = None


PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "your-jwt-secret-here",
        "your-encryption-key-here",
        "dev-insecure-jwt-secret",
        "dev-insecure-encryption-key",
    }
)


class SecuritySettings(BaseSettings):
    model_config = _cfg()

    jwt_secret: Annotated[str, _env("JWT_SECRET")] = "dev-insecure-jwt-secret"
    encryption_key: Annotated[str, _env("ENCRYPTION_KEY")] = "dev-insecure-encryption-key"
    rate_limit_requests: Annotated[int, _env("RATE_LIMIT_REQUESTS")] = 1000
    rate_limit_window_ms: Annotated[int, _env("RATE_LIMIT_WINDOW")] = 900_000


class Settings(BaseModel):
    """All settings, one nested model per area."""

    app: AppSettings
    chain: ChainSettings
    database: DatabaseSettings
    queue: QueueSettings
    zk: ZKSettings
    agents: AgentSettings
    telemetry: TelemetrySettings
    security: SecuritySettings

    @property
    def is_development(self) -> bool:
        return self.app.env is Environment.DEVELOPMENT

    def check_safe(self) -> None:
        """Refuse placeholder secrets and dev-only options outside development."""
        if self.is_development:
            return
        problems = []
        if self.security.jwt_secret.lower() in PLACEHOLDER_SECRETS:
            problems.append("JWT_SECRET is a placeholder: set JWT_SECRET to a random secret")
        if self.security.encryption_key.lower() in PLACEHOLDER_SECRETS:
            problems.append(
                "ENCRYPTION_KEY is a placeholder: set ENCRYPTION_KEY to 32 random bytes (hex)"
            )
        if int(self.chain.private_key, 16) == 0:
            problems.append("PRIVATE_KEY is the zero key: set PRIVATE_KEY to the deployer's key")
        if self.zk.security_level != "high":
            problems.append("ZK_SECURITY_LEVEL=development is only allowed in development")
        if problems:
            raise ConfigurationError(
                f"unsafe settings for environment {self.app.env.value!r}: " + "; ".join(problems),
                hint="Set the variables named above, or run with ZKREDIT_ENV=development.",
            )


def load_settings(*, check: bool = True, **overrides: Any) -> Settings:
    """Read settings from the environment and ``.env``; ``overrides`` map area -> dict."""
    areas: dict[str, type[BaseSettings]] = {
        "app": AppSettings,
        "chain": ChainSettings,
        "database": DatabaseSettings,
        "queue": QueueSettings,
        "zk": ZKSettings,
        "agents": AgentSettings,
        "telemetry": TelemetrySettings,
        "security": SecuritySettings,
    }
    try:
        settings = Settings.model_validate(
            {name: cls(**overrides.get(name, {})) for name, cls in areas.items()}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(
            f"invalid setting {loc}: {first['msg']}",
            hint="Check the variable in your environment or .env (see .env.example).",
        ) from exc
    if check:
        settings.check_safe()
    return settings
