"""Settings: the seed's variables, nested areas, and refusal of unsafe values."""

from __future__ import annotations

import pytest

from zkredit.errors import ConfigurationError
from zkredit.settings import load_settings

SEED_VARS = {
    "NODE_ENV": "development",
    "PORT": "3000",
    "LOG_LEVEL": "debug",
    "CHAIN_ID": "1337",
    "RPC_URL": "http://localhost:8545",
    "PRIVATE_KEY": "0x" + "11" * 32,
    "ZK_CREDIT_VERIFIER_ADDRESS": "0x" + "22" * 20,
    "DATABASE_URL": "postgresql://zkuser:zkpass@localhost:5432/zkredit_dev",
    "REDIS_URL": "redis://localhost:6379/0",
    "ZK_WASM_PATH": "/opt/zk/wasm",
    "ZK_ZKEY_PATH": "/opt/zk/keys",
    "ENABLE_ZK_PROOFS": "true",
    "ZK_SECURITY_LEVEL": "high",
    "WORKER_AGENT_PORT": "3101",
    "CREDIT_AGENT_PORT": "3102",
    "REMITTANCE_AGENT_PORT": "3103",
    "RECEIVER_AGENT_PORT": "3104",
    "ENABLE_TELEMETRY": "false",
    "METRICS_PORT": "9091",
    "JAEGER_ENDPOINT": "http://localhost:14268/api/traces",
    "JWT_SECRET": "s3cret-value",
    "ENCRYPTION_KEY": "ab" * 32,
    "RATE_LIMIT_REQUESTS": "10",
    "RATE_LIMIT_WINDOW": "1000",
}


def test_every_seed_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SEED_VARS.items():
        monkeypatch.setenv(k, v)
    s = load_settings()
    assert s.app.port == 3000 and s.app.log_level == "debug"
    assert s.chain.chain_id == 1337 and s.chain.rpc_url == "http://localhost:8545"
    assert s.chain.verifier_address == "0x" + "22" * 20
    assert s.database.url and s.database.url.startswith("postgresql://")
    assert s.queue.redis_url == "redis://localhost:6379/0"
    assert str(s.zk.wasm_dir) == "/opt/zk/wasm" and str(s.zk.keys_dir) == "/opt/zk/keys"
    assert s.agents.worker_port == 3101 and s.agents.receiver_port == 3104
    assert s.telemetry.enabled is False and s.telemetry.metrics_port == 9091
    assert s.security.rate_limit_requests == 10 and s.security.rate_limit_window_ms == 1000


def test_env_example_lists_every_variable() -> None:
    from tests.conftest import ROOT

    text = (ROOT / ".env.example").read_text()
    for name in SEED_VARS:
        assert f"{name}=" in text, name


@pytest.mark.parametrize("env", ["production", "staging", "test"])
def test_placeholders_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("ZKREDIT_ENV", env)
    monkeypatch.setenv("JWT_SECRET", "your-jwt-secret-here")
    monkeypatch.setenv("ENCRYPTION_KEY", "ab" * 32)
    monkeypatch.setenv("PRIVATE_KEY", "0x" + "11" * 32)
    with pytest.raises(ConfigurationError, match="set JWT_SECRET"):
        load_settings()


def test_zero_private_key_is_a_deployer_problem_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agents sign with keystores, so only `zkredit deploy` needs PRIVATE_KEY."""
    monkeypatch.setenv("NODE_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "x" * 32)
    monkeypatch.setenv("ENCRYPTION_KEY", "ab" * 32)
    monkeypatch.setenv("ZKREDIT_KEYSTORE_PASSWORD", "a keystore password")
    monkeypatch.delenv("PRIVATE_KEY", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.delenv("ZKREDIT_TLS_ENABLED", raising=False)
    s = load_settings()
    assert s.deployer_problems() == [
        "PRIVATE_KEY is the zero key: set PRIVATE_KEY to the deployer's key"
    ]


def test_development_accepts_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODE_ENV", "development")
    assert load_settings().is_development


def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAIN_ID", "mainnet")
    with pytest.raises(ConfigurationError, match="CHAIN_ID"):
        load_settings()


def test_env_example_copied_to_dotenv_loads(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from tests.conftest import ROOT

    shutil.copy(ROOT / ".env.example", tmp_path / ".env")  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    s = load_settings()
    assert s.is_development and s.chain.rpc_url is None and s.database.url is None
    assert s.agents.credit_port == 3002 and s.app.log_level == "info"
