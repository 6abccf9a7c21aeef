"""Both compose files: valid against the Compose Specification schema after compose's own
variable interpolation, and wired the way docs/operations.md says (healthchecks, secrets,
one service per agent, scalable prover workers)."""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import require
from tests.integration.deploy.conftest import DEPLOY, ROOT, load_script

COMPOSE = DEPLOY / "compose"
DEV = COMPOSE / "docker-compose.dev.yml"
PROD = COMPOSE / "docker-compose.prod.yml"
AGENTS = {"worker": 3001, "credit": 3002, "remittance": 3003, "receiver": 3004}
PROD_ENV = {"CHAIN_ID": "8453", "RPC_URL": "https://rpc.example.invalid"}

_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    """A `${NAME:?message}` variable is unset, so compose would refuse the file."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error} and $$ for a literal $."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset_or_empty = current is None or (op is not None and op.startswith(":") and not current)
        if op in (":-", "-") and unset_or_empty:
            return arg
        if op in (":?", "?") and unset_or_empty:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(one, value)


def load(path: Path, env: dict[str, str]) -> dict[str, Any]:
    data = interpolate(yaml.safe_load(path.read_text()), env)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    require(
        importlib.util.find_spec("check_jsonschema") is not None,
        "check-jsonschema (which vendors the compose-spec schema) is not installed "
        "(pip install -e '.[dev]')",
    )
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return schema


@pytest.fixture(scope="module")
def dev() -> dict[str, Any]:
    return load(DEV, {})


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return load(PROD, PROD_ENV)


@pytest.mark.parametrize("path", [DEV, PROD], ids=lambda p: p.name)
def test_valid_against_the_compose_specification(
    path: Path, compose_schema: dict[str, Any]
) -> None:
    document = load(path, PROD_ENV)
    validator = jsonschema.Draft202012Validator(compose_schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_the_schema_has_teeth(compose_schema: dict[str, Any]) -> None:
    """The same validator rejects a misspelt key and a malformed depends_on."""
    validator = jsonschema.Draft202012Validator(compose_schema)
    typo = {"services": {"a": {"image": "x", "helthcheck": {"test": ["CMD", "true"]}}}}
    bad_condition = {"services": {"a": {"image": "x", "depends_on": {"b": {"condition": "up"}}}}}
    assert list(validator.iter_errors(typo))
    assert list(validator.iter_errors(bad_condition))


def test_production_refuses_to_start_without_chain_settings() -> None:
    with pytest.raises(MissingVariable, match="CHAIN_ID"):
        load(PROD, {"RPC_URL": "https://rpc.example.invalid"})
    with pytest.raises(MissingVariable, match="RPC_URL"):
        load(PROD, {"CHAIN_ID": "1"})


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_healthchecks_and_healthy_dependencies(name: str, request: pytest.FixtureRequest) -> None:
    services: dict[str, Any] = request.getfixturevalue(name)["services"]
    for service, spec in services.items():
        check = spec.get("healthcheck", {})
        if check.get("disable"):
            assert spec.get("profiles"), f"{service}: only one-off jobs skip the healthcheck"
            continue
        assert check.get("test"), f"{service} has no healthcheck"
        for dependency, how in spec.get("depends_on", {}).items():
            assert how == {"condition": "service_healthy"}, f"{service} -> {dependency}"
            assert services[dependency]["healthcheck"]["test"], dependency


def test_dev_stack(dev: dict[str, Any]) -> None:
    services = dev["services"]
    assert set(services) == {"postgres", "redis", "anvil", "jaeger", "prometheus", "grafana"}
    anvil = services["anvil"]
    assert anvil["image"].startswith("ghcr.io/foundry-rs/foundry:")
    assert anvil["entrypoint"] == ["anvil"]
    assert anvil["command"][anvil["command"].index("--chain-id") + 1] == "1337"
    for service, spec in services.items():
        for port in spec.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{service}: dev ports stay on loopback"


def test_one_service_per_agent_built_from_the_dockerfile(prod: dict[str, Any]) -> None:
    services = prod["services"]
    for agent, port in [*AGENTS.items(), ("gateway", 3000)]:
        spec = services[agent]
        assert (COMPOSE / spec["build"]["context"] / spec["build"]["dockerfile"]).resolve() == (
            ROOT / "Dockerfile"
        )
        assert spec["command"][:6] == ["serve", agent, "--env", "production", "--host", "0.0.0.0"]
        assert spec["expose"] == [str(port)]
        assert spec["healthcheck"]["test"] == [
            "CMD", "zkredit-healthcheck", f"http://127.0.0.1:{port}/health/ready"]
        assert spec["environment"]["HEALTHCHECK_URL"] == f"http://127.0.0.1:{port}/health/live"
        assert "ports" not in spec, f"{agent} is reached through nginx only"
    assert "--external-provers" in services["worker"]["command"]
    for agent in [*AGENTS, "gateway"]:
        variable = "GATEWAY_HOST" if agent == "gateway" else f"{agent.upper()}_AGENT_HOST"
        for spec in services.values():
            if spec.get("build"):
                assert spec["environment"][variable] == agent, "peers by service name"
    for agent in AGENTS:
        assert "zkredit_keystore_password" in services[agent]["secrets"]
    gateway_secrets = services["gateway"]["secrets"]
    assert "zkredit_keystore_password" not in gateway_secrets, "the gateway signs nothing"


def test_prover_workers_scale_separately(prod: dict[str, Any]) -> None:
    prover = prod["services"]["prover"]
    assert prover["command"] == ["worker", "prover", "--env", "production"]
    assert isinstance(prover["deploy"]["replicas"], int) and prover["deploy"]["replicas"] >= 2
    assert "container_name" not in prover and "ports" not in prover
    assert prover["deploy"]["resources"]["limits"]["cpus"]


def test_redis_keeps_jobs(prod: dict[str, Any]) -> None:
    command = prod["services"]["redis"]["command"]
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--maxmemory"] == "2gb"  # the seed's size
    # Not the seed's allkeys-lru: under memory pressure it would evict queued jobs.
    assert options["--maxmemory-policy"] == "noeviction"


def test_secrets_are_files_never_values(prod: dict[str, Any]) -> None:
    secret_names = {"JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "PRIVATE_KEY",
                    "POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD", "REDIS_PASSWORD"}
    handled = set(load_script(DEPLOY / "docker" / "entrypoint.py").SECRET_VARIABLES)
    for name, secret in prod["secrets"].items():
        assert set(secret) == {"file"}, name
        assert secret["file"].startswith("./secrets/"), name
    for service, spec in prod["services"].items():
        env = spec.get("environment", {})
        assert not secret_names & set(env), f"{service} has a secret in its environment"
        mounted = set(spec.get("secrets", []))
        for key, value in env.items():
            if key.endswith("_FILE") or key.endswith("__FILE"):
                assert value.startswith("/run/secrets/"), f"{service}.{key}"
                assert value.removeprefix("/run/secrets/") in mounted, f"{service}.{key}"
                is_zkredit = spec.get("build") is not None
                base = key.removesuffix("_FILE")
                if is_zkredit and base != "ZKREDIT_KEYSTORE_PASSWORD":
                    assert base in handled, f"the entrypoint does not read {key}"


def test_only_nginx_faces_the_network(prod: dict[str, Any]) -> None:
    services = prod["services"]
    assert services["nginx"]["ports"] == ["80:80", "443:443"]
    assert "../nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert (COMPOSE / "../nginx/nginx.conf").is_file()
    for service, spec in services.items():
        if service != "nginx":
            for port in spec.get("ports", []):
                assert port.startswith("127.0.0.1:"), f"{service} publishes {port}"
    assert prod["networks"]["data"] == {"internal": True}
    for data_service in ("postgres", "redis"):
        assert services[data_service]["networks"] == ["data"]


def test_monitoring_config_comes_from_deploy(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    """Prometheus and Grafana read deploy/prometheus and deploy/grafana (owned elsewhere,
    so only the paths are checked here, not that the files exist yet)."""
    for stack in (dev, prod):
        volumes = stack["services"]["prometheus"]["volumes"]
        assert "../prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in volumes
        assert "../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes
        grafana = stack["services"]["grafana"]["volumes"]
        assert "../grafana/provisioning:/etc/grafana/provisioning:ro" in grafana


def test_one_off_deploy_job(prod: dict[str, Any]) -> None:
    job = prod["services"]["deploy"]
    assert job["profiles"] == ["deploy"] and job["restart"] == "no"
    assert job["entrypoint"][2:6] == ["zkredit-entrypoint", "deploy", "--env", "production"]
    assert job["environment"]["PRIVATE_KEY_FILE"] == "/run/secrets/deployer_key"
    others = [s for n, s in prod["services"].items() if n != "deploy"]
    assert all("deployer_key" not in s.get("secrets", []) for s in others)
