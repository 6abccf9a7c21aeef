"""Settings-level refusals: one safe production baseline, then each single unsafe change
and the message, naming the setting, that it must produce."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.config.envs import SHIPPED, isolate, use_environments
from zkredit.errors import ConfigurationError
from zkredit.settings import Settings, load_settings

SECRETS = {
    "JWT_SECRET": "jwt-" + "7f" * 16,
    "ENCRYPTION_KEY": "ab" * 32,
    "ZKREDIT_KEYSTORE_PASSWORD": "correct horse battery staple",
}
PASSWORD_FILE = "  keystore_password_file: /run/secrets/zkredit_keystore_password\n"

Load = Callable[..., Settings]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Load:
    """Settings for a copy of a shipped environment, edited, with SECRETS set."""
    isolate(monkeypatch, tmp_path)
    directory = use_environments(monkeypatch, tmp_path)

    def settings(
        kind: str = "production",
        edit: Callable[[str], str] = lambda text: text,
        unset: tuple[str, ...] = (),
        **env: str,
    ) -> Settings:
        text = (SHIPPED / f"{kind}.yml").read_text()
        (directory / f"{kind}.yml").write_text(edit(text))
        for name, value in {**SECRETS, **env}.items():
            monkeypatch.setenv(name, value)
        for name in unset:
            monkeypatch.delenv(name)
        return load_settings(check=False, env=kind)

    return settings


@pytest.mark.parametrize("kind", ["production", "staging"])
def test_the_baseline_is_safe(load: Load, kind: str) -> None:
    s = load(kind)
    assert s.is_production and not s.is_development
    assert s.safety_problems() == []
    s.check_safe()


def _yml(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)

    return edit


TAMPERED: list[tuple[str, dict[str, object], str]] = [
    (
        "debug logging from the environment",
        {"LOG_LEVEL": "debug"},
        r"^LOG_LEVEL=debug is refused in production: ",
    ),
    (
        "debug logging from the file",
        {"edit": _yml("log_level: info", "log_level: debug")},
        r"^LOG_LEVEL=debug \(from environments/production.yml parameters.log_level\) "
        r"is refused in production: ",
    ),
    (
        "TLS off in the file",
        {"edit": _yml("tls:\n    enabled: true", "tls:\n    enabled: false")},
        r"^security.tls.enabled is false in environments/production.yml: ",
    ),
    (
        "TLS off from the environment",
        {"ZKREDIT_TLS_ENABLED": "false"},
        r"^ZKREDIT_TLS_ENABLED=false is refused in production: ",
    ),
    (
        "TLS not mentioned at all",
        {"edit": _yml("  tls:\n    enabled: true\n", "  tls:\n")},
        r"^security.tls.enabled is not set in environments/production.yml \(TLS is off\)",
    ),
    (
        "TLS without a certificate",
        {"edit": _yml("    cert: /etc/zkredit/tls/tls.crt\n", "")},
        r"^security.tls.cert is not set but TLS is enabled: set ZKREDIT_TLS_CERT",
    ),
    (
        "placeholder JWT_SECRET",
        {"JWT_SECRET": "your-jwt-secret-here"},
        r"^JWT_SECRET is a placeholder: set JWT_SECRET",
    ),
    (
        "placeholder ENCRYPTION_KEY",
        {"ENCRYPTION_KEY": "changeme"},
        r"^ENCRYPTION_KEY is a placeholder: set ENCRYPTION_KEY",
    ),
    (
        "no keystore password",
        {"unset": ("ZKREDIT_KEYSTORE_PASSWORD",), "edit": _yml(PASSWORD_FILE, "")},
        r"^ZKREDIT_KEYSTORE_PASSWORD is not set: the agents cannot open their keystores",
    ),
    (
        "placeholder keystore password",
        {"ZKREDIT_KEYSTORE_PASSWORD": "changeme"},
        r"^ZKREDIT_KEYSTORE_PASSWORD is a placeholder",
    ),
    (
        "missing keystore password file",
        {"unset": ("ZKREDIT_KEYSTORE_PASSWORD",), "ZKREDIT_KEYSTORE_PASSWORD_FILE": "/nope/pw"},
        r"^ZKREDIT_KEYSTORE_PASSWORD_FILE=/nope/pw does not exist",
    ),
    (
        "development proving keys allowed",
        {"ZK_SECURITY_LEVEL": "development"},
        r"^ZK_SECURITY_LEVEL=development is only allowed in development",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [t[1:] for t in TAMPERED], ids=[t[0] for t in TAMPERED]
)
def test_each_unsafe_change_is_refused_naming_the_setting(
    load: Load, change: dict[str, object], message: str
) -> None:
    s = load(**change)
    problems = s.safety_problems()
    assert len(problems) == 1, problems
    assert re.search(message, problems[0]), problems[0]
    with pytest.raises(ConfigurationError, match="unsafe settings for environment 'production'"):
        s.check_safe()


def test_every_problem_is_listed_at_once(load: Load) -> None:
    s = load(LOG_LEVEL="debug", ZKREDIT_TLS_ENABLED="0", JWT_SECRET="changeme")
    with pytest.raises(ConfigurationError) as caught:
        s.check_safe()
    for name in ("LOG_LEVEL=debug", "ZKREDIT_TLS_ENABLED=false", "JWT_SECRET"):
        assert name in caught.value.message
    assert caught.value.hint


def test_an_empty_keystore_password_file_is_refused(load: Load, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("\n")
    s = load(
        unset=("ZKREDIT_KEYSTORE_PASSWORD",), ZKREDIT_KEYSTORE_PASSWORD_FILE=str(tmp_path / "pw")
    )
    assert [p.split(": ")[0] for p in s.safety_problems()] == [
        f"ZKREDIT_KEYSTORE_PASSWORD_FILE={tmp_path / 'pw'} is empty"
    ]


def test_the_test_environment_runs_in_ci_with_secrets_from_the_environment(load: Load) -> None:
    s = load("test", unset=("ZKREDIT_KEYSTORE_PASSWORD",), LOG_LEVEL="debug")
    assert not s.security.tls_enabled and not s.is_production
    assert s.safety_problems() == []
    s = load("test", JWT_SECRET="your-jwt-secret-here")
    assert s.safety_problems() == ["JWT_SECRET is a placeholder: set JWT_SECRET to a random secret"]


def test_development_refuses_nothing(load: Load) -> None:
    s = load(
        "development", JWT_SECRET="changeme", LOG_LEVEL="debug", ZK_SECURITY_LEVEL="development"
    )
    assert s.is_development and s.safety_problems() == []


def test_check_is_what_load_settings_runs(load: Load, monkeypatch: pytest.MonkeyPatch) -> None:
    load()
    assert load_settings(env="production").is_production
    monkeypatch.setenv("LOG_LEVEL", "debug")
    with pytest.raises(ConfigurationError, match="LOG_LEVEL=debug is refused in production"):
        load_settings(env="production")


@pytest.mark.parametrize(
    ("key", "problems"),
    [
        ("0x" + "00" * 32, ["PRIVATE_KEY is the zero key: set PRIVATE_KEY to the deployer's key"]),
        (
            "not-hex",
            ["PRIVATE_KEY is not a hex private key: set PRIVATE_KEY to the deployer's key"],
        ),
        ("0x" + "11" * 32, []),
    ],
)
def test_private_key_is_only_a_deployer_problem(load: Load, key: str, problems: list[str]) -> None:
    s = load(PRIVATE_KEY=key)
    assert s.safety_problems() == []
    assert s.deployer_problems() == problems
