"""``zkredit config show|check|list``: effective settings, masked secrets, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.config.envs import SHIPPED, isolate, use_environments, write_environment
from zkredit.cli.main import app
from zkredit.cli.output import ExitStatus
from zkredit.errors import ConfigurationError

SECRETS = {
    "JWT_SECRET": "jwt-Quokka-Zebra-41-distinct",
    "ENCRYPTION_KEY": "enc-Narwhal-Okapi-58-distinct",
    "PRIVATE_KEY": "0x" + "5c" * 32,
    "ZKREDIT_KEYSTORE_PASSWORD": "pw-Axolotl-Tapir-73-distinct",
    "DATABASE_URL": "postgresql://zk:dbpass-Pangolin-99@db.internal:5432/zk",
    "REDIS_URL": "redis://:redispass-Kinkajou-12@cache:6379/0",
}
REVEALING = [
    "jwt-Quokka-Zebra-41-distinct",
    "enc-Narwhal-Okapi-58-distinct",
    "5c" * 32,
    "pw-Axolotl-Tapir-73-distinct",
    "dbpass-Pangolin-99",
    "redispass-Kinkajou-12",
]

runner = CliRunner()


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path)
    directory = use_environments(monkeypatch, tmp_path)
    for name in ("development", "test", "production"):
        (directory / f"{name}.yml").write_text((SHIPPED / f"{name}.yml").read_text())
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def _with_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("args", [[], ["--json"]], ids=["table", "json"])
def test_show_never_prints_a_secret(
    here: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    _with_secrets(monkeypatch)
    result = runner.invoke(app, ["config", "show", "--env", "production", *args])
    assert result.exit_code == 0, result.output
    for secret in REVEALING:
        assert secret not in result.output
    assert "••••(set)" in result.output


def test_show_json_reports_values_sources_and_the_document(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_secrets(monkeypatch)
    (here / ".env").write_text("METRICS_PORT=9555\n")
    monkeypatch.setenv("CHAIN_ID", "31337")
    result = runner.invoke(app, ["config", "show", "--env", "production", "--json"])
    data = json.loads(result.output)
    assert data["environment"] == "production"
    assert data["file"] == "environments/production.yml"
    settings = data["settings"]
    assert settings["security"]["jwt_secret"]["value"] == "••••(set)"
    assert settings["app"]["keystore_password"]["value"] == "••••(set)"
    assert settings["database"]["url"]["value"] == "postgresql://zk:••••@db.internal:5432/zk"
    assert settings["chain"]["chain_id"] == {
        "value": 31337, "variable": "CHAIN_ID", "source": "env CHAIN_ID", "source_kind": "env"
    }  # fmt: skip
    assert settings["telemetry"]["metrics_port"]["source"] == ".env METRICS_PORT"
    assert settings["agents"]["worker_host"]["source"] == (
        "environments/production.yml services.agents.worker.host"
    )
    assert settings["security"]["tls_key"]["value"] == "/etc/zkredit/tls/tls.key"  # a path
    assert data["document"]["security"]["monitoring"]["24x7"] is True
    assert data["document"]["compliance"] == {"soc2": True, "iso27001": True, "gdpr": True}
    assert data["problems"] == []


def test_show_marks_placeholders_and_unset_values(here: Path) -> None:
    result = runner.invoke(app, ["config", "show", "--env", "development", "--json"])
    settings = json.loads(result.output)["settings"]
    assert settings["security"]["jwt_secret"]["value"] == "••••(placeholder)"
    assert settings["chain"]["private_key"]["value"] == "••••(zero key)"
    assert settings["app"]["keystore_password"]["value"] is None


def test_check_passes_a_safe_environment(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_secrets(monkeypatch)
    result = runner.invoke(app, ["config", "check", "--env", "production"])
    assert result.exit_code == 0, result.output
    assert "environment 'production' (environments/production.yml): no problems" in result.output


def test_check_lists_every_problem(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    result = runner.invoke(app, ["config", "check", "--env", "production", "--deployer"])
    assert isinstance(result.exception, ConfigurationError)
    message = result.exception.message
    assert message.startswith("5 problem(s) in environment 'production'")
    for named in ("JWT_SECRET", "ENCRYPTION_KEY", "LOG_LEVEL=debug", "ZKREDIT_KEYSTORE_PASSWORD",
                  "PRIVATE_KEY is the zero key"):  # fmt: skip
        assert named in message


def test_an_unknown_key_is_reported_with_a_suggestion(here: Path) -> None:
    write_environment(here, "test", "name: t\nsecurity:\n  tls:\n    enabeld: true\n")
    result = runner.invoke(app, ["config", "show", "--env", "test"])
    assert isinstance(result.exception, ConfigurationError)
    assert "unknown key 'security.tls.enabeld' (line 4): did you mean 'security.tls.enabled'?" in (
        result.exception.message
    )


def test_list_names_the_environments(here: Path) -> None:
    result = runner.invoke(app, ["config", "list"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == [
        "development", "production", "test"
    ]  # fmt: skip


def test_help_shows_examples() -> None:
    result = runner.invoke(app, ["config", "show", "--help"])
    assert result.exit_code == 0
    assert "zkredit config show --env production --json" in result.output
    assert "••••(set)" in result.output


def test_check_exits_with_the_configuration_status(here: Path) -> None:
    """As a user runs it: the one error funnel prints the problems to stderr, exit 7."""
    r = subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "config", "check", "--env", "production"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ZKREDIT_TLS_ENABLED": "false", "COLUMNS": "200"},
        cwd=here,
    )
    assert r.returncode == ExitStatus.CONFIG_ERROR, r.stderr
    assert "Error: 4 problem(s) in environment 'production'" in r.stderr
    assert "ZKREDIT_TLS_ENABLED=false is refused in production" in r.stderr
    assert "Hint:" in r.stderr and "Traceback" not in r.stderr
