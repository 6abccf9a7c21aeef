"""Typed settings: ``environments/<env>.yml``, then ``.env``, then environment variables.

One nested model per area. Each model reads the flat variable names the seed's
``.env`` uses (``CHAIN_ID``, ``DATABASE_URL``, ``ZK_ZKEY_PATH`` ...), so an
operator's existing environment works unchanged; the environment document
(:mod:`zkredit.config`) supplies what neither sets. Nothing here is built at
import time: call :func:`load_settings` from the composition root.
"""

from __future__ import annotations

import difflib
import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from zkredit.config.document import EnvironmentDocument, settings_values
from zkredit.config.interpolation import chain_lookup
from zkredit.config.loader import (
    LoadedEnvironment,
    display_path,
    environments_dir,
    load_document,
    locate,
)
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


def _keystore_dir_default(data: dict[str, Any]) -> Path:
    return Path(data.get("data_dir", "data")) / "keystores"


def _deployments_dir_default() -> Path:
    return project_root() / "deployments"


class AppSettings(BaseSettings):
    model_config = _cfg()

    env: Annotated[Environment, _env("ZKREDIT_ENV", "NODE_ENV")] = Environment.DEVELOPMENT
    port: Annotated[int, _env("PORT")] = 3000
    log_level: Annotated[
        Literal["debug", "info", "warning", "error", "critical"], _env("LOG_LEVEL")
    ] = "info"
    data_dir: Annotated[Path, _env("ZKREDIT_DATA_DIR")] = Path("data")
    # Defaults to <data_dir>/keystores, so it must come after data_dir.
    keystore_dir: Annotated[Path, _env("ZKREDIT_KEYSTORE_DIR")] = Field(
        default_factory=_keystore_dir_default
    )
    keystore_password: Annotated[SecretStr | None, _env("ZKREDIT_KEYSTORE_PASSWORD")] = None
    keystore_password_file: Annotated[Path | None, _env("ZKREDIT_KEYSTORE_PASSWORD_FILE")] = None
    deployments_dir: Annotated[Path, _env("ZKREDIT_DEPLOYMENTS_DIR")] = Field(
        default_factory=_deployments_dir_default
    )

    @model_validator(mode="before")
    @classmethod
    def _lower(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("LOG_LEVEL", "log_level", "NODE_ENV", "ZKREDIT_ENV", "env"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].lower()
        return data

    def read_keystore_password(self) -> str | None:
        """``ZKREDIT_KEYSTORE_PASSWORD``, else the first line of the password file, else None."""
        if self.keystore_password is not None:
            return self.keystore_password.get_secret_value()
        path = self.keystore_password_file
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read ZKREDIT_KEYSTORE_PASSWORD_FILE {path}: {exc.strerror}",
                hint="Mount the keystore password file, or set ZKREDIT_KEYSTORE_PASSWORD.",
            ) from exc
        return text.splitlines()[0] if text.strip() else None


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


_LOCAL = "127.0.0.1"


class AgentSettings(BaseSettings):
    """Where each agent binds. The gateway's port is ``app.port`` (``PORT``)."""

    model_config = _cfg()

    worker_port: Annotated[int, _env("WORKER_AGENT_PORT")] = 3001
    credit_port: Annotated[int, _env("CREDIT_AGENT_PORT")] = 3002
    remittance_port: Annotated[int, _env("REMITTANCE_AGENT_PORT")] = 3003
    receiver_port: Annotated[int, _env("RECEIVER_AGENT_PORT")] = 3004
    gateway_host: Annotated[str, _env("GATEWAY_HOST")] = _LOCAL
    worker_host: Annotated[str, _env("WORKER_AGENT_HOST")] = _LOCAL
    credit_host: Annotated[str, _env("CREDIT_AGENT_HOST")] = _LOCAL
    remittance_host: Annotated[str, _env("REMITTANCE_AGENT_HOST")] = _LOCAL
    receiver_host: Annotated[str, _env("RECEIVER_AGENT_HOST")] = _LOCAL


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

    jwt_secret: Annotated[str, _env("JWT_SECRET"), Field(repr=False)] = "dev-insecure-jwt-secret"
    encryption_key: Annotated[str, _env("ENCRYPTION_KEY"), Field(repr=False)] = (
        "dev-insecure-encryption-key")
    encryption_key_previous: Annotated[str, _env("ENCRYPTION_KEY_PREVIOUS"),
                                       Field(repr=False)] = ""
    """Old vault keys (comma-separated) that still open blobs until `keys rotate vault`."""
    rate_limit_requests: Annotated[int, _env("RATE_LIMIT_REQUESTS")] = 1000
    rate_limit_window_ms: Annotated[int, _env("RATE_LIMIT_WINDOW")] = 900_000
    tls_enabled: Annotated[bool, _env("ZKREDIT_TLS_ENABLED")] = False
    tls_cert: Annotated[Path | None, _env("ZKREDIT_TLS_CERT")] = None
    tls_key: Annotated[Path | None, _env("ZKREDIT_TLS_KEY")] = None
    tls_proxy: Annotated[bool, _env("ZKREDIT_TLS_PROXY")] = False
    """TLS ends at a trusted proxy (nginx, an Ingress) in front of plain-HTTP agents."""
    backup_key: Annotated[SecretStr | None, _env("BACKUP_KEY")] = None
    """Backups are encrypted under a key derived from this, else from ENCRYPTION_KEY."""
    jwt_key_file: Annotated[Path | None, _env("ZKREDIT_JWT_KEY_FILE")] = None
    """The Ed25519 token-signing key (default ``<keystore_dir>/jwt-signing.pem``)."""
    access_token_ttl_s: Annotated[int, _env("ZKREDIT_ACCESS_TOKEN_TTL_S")] = 600
    refresh_token_ttl_s: Annotated[int, _env("ZKREDIT_REFRESH_TOKEN_TTL_S")] = 14 * 86400
    allowed_hosts: Annotated[str, _env("ZKREDIT_ALLOWED_HOSTS")] = ""
    """Extra Host names the agents answer (comma-separated), beyond loopback and their own."""
    cors_origins: Annotated[str, _env("ZKREDIT_CORS_ORIGINS")] = ""
    """Browser origins allowed to call the APIs (comma-separated); none by default."""
    max_body_bytes: Annotated[int, _env("ZKREDIT_MAX_BODY_BYTES")] = 1_048_576


AREAS: dict[str, type[BaseSettings]] = {
    "app": AppSettings,
    "chain": ChainSettings,
    "database": DatabaseSettings,
    "queue": QueueSettings,
    "zk": ZKSettings,
    "agents": AgentSettings,
    "telemetry": TelemetrySettings,
    "security": SecuritySettings,
}


class SettingSource(BaseModel):
    """Where one effective value came from."""

    kind: Literal["default", "file", "dotenv", "env", "override"]
    name: str = ""  # the variable, or the key's path in the document
    file: str | None = None

    def __str__(self) -> str:
        if self.kind == "default":
            return "default"
        if self.kind == "override":
            return f"override ({self.name})"
        if self.kind == "env":
            return f"env {self.name}"
        return f"{self.file} {self.name}"


class Settings(BaseModel):
    """All settings, one nested model per area, plus the environment document they
    were read with (``None`` when there is no ``environments/<env>.yml``)."""

    app: AppSettings
    chain: ChainSettings
    database: DatabaseSettings
    queue: QueueSettings
    zk: ZKSettings
    agents: AgentSettings
    telemetry: TelemetrySettings
    security: SecuritySettings
    environment: EnvironmentDocument | None = None
    environment_file: Path | None = None
    sources: dict[str, SettingSource] = Field(default_factory=dict)

    @property
    def is_development(self) -> bool:
        return self.app.env is Environment.DEVELOPMENT

    @property
    def is_production(self) -> bool:
        """Production or staging: the environments that hold real money and identities."""
        return self.app.env in (Environment.PRODUCTION, Environment.STAGING)

    def source_of(self, key: str) -> SettingSource:
        """Where ``area.field`` came from (``default`` when unknown)."""
        return self.sources.get(key, SettingSource(kind="default"))

    def safety_problems(self) -> list[str]:
        """Every settings-level reason this environment must not run (empty in development)."""
        if self.is_development:
            return []
        env = self.app.env.value
        problems = []
        if self.security.jwt_secret.lower() in PLACEHOLDER_SECRETS:
            problems.append("JWT_SECRET is a placeholder: set JWT_SECRET to a random secret")
        if self.security.encryption_key.lower() in PLACEHOLDER_SECRETS:
            problems.append(
                "ENCRYPTION_KEY is a placeholder: set ENCRYPTION_KEY to 32 random bytes (hex)"
            )
        if self.zk.security_level != "high":
            problems.append(
                f"ZK_SECURITY_LEVEL=development{self._origin('zk.security_level')} "
                "is only allowed in development"
            )
        if self.security.tls_enabled:
            for part in ("cert", "key"):
                if getattr(self.security, f"tls_{part}") is None:
                    problems.append(
                        f"security.tls.{part} is not set but TLS is enabled: set "
                        f"ZKREDIT_TLS_{part.upper()} or security.tls.{part} in "
                        f"{self._document_name()}"
                    )
        if self.is_production:
            problems.extend(self._production_problems(env))
        return problems

    def _production_problems(self, env: str) -> list[str]:
        problems = []
        if self.app.log_level == "debug":
            problems.append(
                f"LOG_LEVEL=debug{self._origin('app.log_level')} is refused in {env}: "
                "debug logs can carry request data; set LOG_LEVEL=info"
            )
        if not self.security.tls_enabled and not self.security.tls_proxy:
            problems.append(self._tls_off(env))
        problems.extend(self._keystore_password_problems(env))
        return problems

    def _tls_off(self, env: str) -> str:
        source = self.source_of("security.tls_enabled")
        fix = (
            "set security.tls.enabled: true with tls.cert and tls.key (ZKREDIT_TLS_ENABLED=true), "
            "or, when TLS ends at nginx or an Ingress, security.tls.proxy: true "
            "(ZKREDIT_TLS_PROXY=true)"
        )
        if source.kind == "file":
            return f"security.tls.enabled is false in {source.file}: {env} serves only TLS; {fix}"
        if source.kind in ("env", "dotenv"):
            where = "" if source.kind == "env" else f" (in {source.file})"
            return f"ZKREDIT_TLS_ENABLED=false{where} is refused in {env}: {fix}"
        return (
            f"security.tls.enabled is not set in {self._document_name()} (TLS is off): "
            f"{env} serves only TLS; {fix}"
        )

    def _keystore_password_problems(self, env: str) -> list[str]:
        fix = "set ZKREDIT_KEYSTORE_PASSWORD or ZKREDIT_KEYSTORE_PASSWORD_FILE"
        app = self.app
        if app.keystore_password is not None:
            if app.keystore_password.get_secret_value().lower() in PLACEHOLDER_SECRETS:
                return [f"ZKREDIT_KEYSTORE_PASSWORD is a placeholder: {fix} to a real password"]
            return []
        path = app.keystore_password_file
        if path is None:
            return [
                f"ZKREDIT_KEYSTORE_PASSWORD is not set: the agents cannot open their "
                f"keystores in {env}; {fix}"
            ]
        origin = self._origin("app.keystore_password_file")
        if not path.is_file():
            return [f"ZKREDIT_KEYSTORE_PASSWORD_FILE={path}{origin} does not exist: {fix}"]
        try:
            password = app.read_keystore_password()
        except ConfigurationError:
            return [f"ZKREDIT_KEYSTORE_PASSWORD_FILE={path}{origin} cannot be read: {fix}"]
        if not password:
            return [f"ZKREDIT_KEYSTORE_PASSWORD_FILE={path}{origin} is empty: {fix}"]
        if password.lower() in PLACEHOLDER_SECRETS:
            return [f"ZKREDIT_KEYSTORE_PASSWORD_FILE={path}{origin} holds a placeholder: {fix}"]
        return []

    def deployer_problems(self) -> list[str]:
        """Why ``PRIVATE_KEY`` cannot deploy here; agents sign with keystores, not with it."""
        try:
            is_zero = int(self.chain.private_key, 16) == 0
        except ValueError:
            return ["PRIVATE_KEY is not a hex private key: set PRIVATE_KEY to the deployer's key"]
        if is_zero and not self.is_development:
            return ["PRIVATE_KEY is the zero key: set PRIVATE_KEY to the deployer's key"]
        return []

    def check_safe(self) -> None:
        """Raise :class:`ConfigurationError` listing every :meth:`safety_problems`."""
        problems = self.safety_problems()
        if problems:
            raise ConfigurationError(
                f"unsafe settings for environment {self.app.env.value!r}: " + "; ".join(problems),
                hint="Set the variables named above, or run with ZKREDIT_ENV=development.",
            )

    def _origin(self, key: str) -> str:
        source = self.source_of(key)
        if source.kind in ("file", "dotenv"):
            return f" (from {source.file} {source.name})"
        return ""

    def _document_name(self) -> str:
        if self.environment_file is not None:
            return display_path(self.environment_file)
        return f"environments/{self.app.env.value}.yml"


# --- loading -------------------------------------------------------------------------


def load_settings(
    *,
    check: bool = True,
    env: str | Environment | None = None,
    env_file: str | Path | None = None,
    **overrides: Any,
) -> Settings:
    """Read settings: ``environments/<env>.yml``, then ``.env``, then environment variables.

    ``env`` names the environment (a file in ``environments/``, or a ``.yml`` path);
    ``None`` means ``ZKREDIT_ENV``/``NODE_ENV``, else development. ``env_file`` is the
    dotenv file (default ``ZKREDIT_ENV_FILE``, else ``./.env``). ``overrides`` map
    area -> {field: value} and win over everything. With ``check``, unsafe settings
    raise :class:`ConfigurationError` (see :meth:`Settings.check_safe`).
    """
    unknown = sorted(set(overrides) - set(AREAS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(AREAS), n=1)
        raise TypeError(
            f"load_settings() got an unknown settings area {unknown[0]!r}"
            + (f"; did you mean {close[0]!r}?" if close else "")
        )
    dotenv_path = _dotenv_path(env_file)
    dotenv = _read_dotenv(dotenv_path)
    app_overrides = dict(overrides.get("app", {}))
    name = _selected_name(env, app_overrides, dotenv)
    path = locate(name, environments_dir(project_root()))
    loaded = load_document(path, chain_lookup(os.environ, dotenv)) if path else None
    from_file = _file_values(loaded)
    chosen_by_argument = env is not None and "env" not in app_overrides
    if chosen_by_argument:
        app_overrides["env"] = loaded.kind if loaded else name
    overrides = {**overrides, "app": app_overrides}

    areas: dict[str, BaseSettings] = {}
    sources: dict[str, SettingSource] = {}
    for area, cls in AREAS.items():
        file_values = from_file.get(area, {})
        area_overrides = overrides.get(area, {})
        for field in cls.model_fields:
            sources[f"{area}.{field}"] = _source(
                cls, field, area_overrides, file_values, dotenv, dotenv_path, loaded
            )
        areas[area] = _build(area, cls, file_values, area_overrides, dotenv_path, sources)
    if chosen_by_argument:
        sources["app.env"] = SettingSource(kind="override", name=f"env={name}")
    settings = Settings(
        **areas,  # type: ignore[arg-type]
        environment=loaded.document if loaded else None,
        environment_file=loaded.path if loaded else None,
        sources=sources,
    )
    if check:
        settings.check_safe()
    return settings


def _build(
    area: str,
    cls: type[BaseSettings],
    file_values: dict[str, tuple[Any, str]],
    overrides: dict[str, Any],
    dotenv_path: Path,
    sources: dict[str, SettingSource],
) -> BaseSettings:
    """One area: the file's values fill only what ``.env``, the environment and
    ``overrides`` leave unset (init arguments would otherwise beat them)."""
    try:
        probe = cls(_env_file=dotenv_path, **overrides)
        fill = {k: v for k, (v, _) in file_values.items() if k not in probe.model_fields_set}
        if not fill:
            return probe
        return cls(_env_file=dotenv_path, **fill, **overrides)
    except ValidationError as exc:
        raise _invalid(area, cls, exc, sources) from exc


def _invalid(
    area: str, cls: type[BaseSettings], exc: ValidationError, sources: dict[str, SettingSource]
) -> ConfigurationError:
    first = exc.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else ""
    field = next((f for f in cls.model_fields if key == f or key in env_names(cls, f)), key)
    source = sources.get(f"{area}.{field}", SettingSource(kind="default"))
    variable = env_names(cls, field)[0] if field in cls.model_fields else key
    got = first.get("input")
    return ConfigurationError(
        f"invalid setting {variable} ({area}.{field}, from {source}): {first['msg']}"
        + (f" (got {got!r})" if isinstance(got, str | int | float) else ""),
        hint="Check the variable in your environment or .env (see .env.example), "
        "or the key in environments/<env>.yml.",
    )


def _dotenv_path(env_file: str | Path | None) -> Path:
    configured = env_file or os.environ.get("ZKREDIT_ENV_FILE")
    if not configured:
        return Path(_ENV_FILE)
    path = Path(configured)
    if not path.is_file():
        raise ConfigurationError(
            f"the env file {path} (ZKREDIT_ENV_FILE) does not exist",
            hint="Point ZKREDIT_ENV_FILE at an existing file, or unset it to use ./.env.",
        )
    return path


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path, encoding="utf-8").items() if v}


def _selected_name(
    env: str | Environment | None, app_overrides: dict[str, Any], dotenv: dict[str, str]
) -> str:
    if env is not None:
        name = str(env.value if isinstance(env, Environment) else env).strip()
        return name.lower() if name.lower() in {e.value for e in Environment} else name
    if app_overrides.get("env"):
        value = app_overrides["env"]
        return str(value.value if isinstance(value, Environment) else value).lower()
    for mapping in (os.environ, dotenv):
        lowered = {k.lower(): v for k, v in mapping.items() if v}
        for var in ("zkredit_env", "node_env"):
            if var in lowered:
                return lowered[var].strip().lower()
    return Environment.DEVELOPMENT.value


def _file_values(loaded: LoadedEnvironment | None) -> dict[str, dict[str, tuple[Any, str]]]:
    if loaded is None:
        return {}
    values = settings_values(loaded.document)
    values.setdefault("app", {}).setdefault("env", (loaded.kind, "environment"))
    return values


def env_names(cls: type[BaseSettings], field: str) -> list[str]:
    """The environment variables that set ``field`` of the area ``cls``, first preferred."""
    alias = cls.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(c) for c in alias.choices]
    return [alias] if isinstance(alias, str) else [field]


def _source(
    cls: type[BaseSettings],
    field: str,
    overrides: dict[str, Any],
    file_values: dict[str, tuple[Any, str]],
    dotenv: dict[str, str],
    dotenv_path: Path,
    loaded: LoadedEnvironment | None,
) -> SettingSource:
    names = env_names(cls, field)
    if field in overrides or any(n in overrides for n in names):
        return SettingSource(kind="override", name="load_settings")
    environ = {k.lower() for k, v in os.environ.items() if v}
    for n in names:
        if n.lower() in environ:
            return SettingSource(kind="env", name=n)
    in_dotenv = {k.lower() for k in dotenv}
    for n in names:
        if n.lower() in in_dotenv:
            return SettingSource(kind="dotenv", name=n, file=display_path(dotenv_path))
    if field in file_values:
        shown = loaded.shown_path if loaded else None
        return SettingSource(kind="file", name=file_values[field][1], file=shown)
    return SettingSource(kind="default")
