"""Where settings come from: environments/<env>.yml < .env < environment variables <
overrides, and which environment file is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config.envs import isolate, use_environments, write_environment
from zkredit.errors import ConfigurationError
from zkredit.settings import Environment, load_settings, project_root

TEST_YML = """
    name: layered
    services:
      blockchain:
        chain_id: 111
        rpc_url: ${LAYER_RPC:-}
      agents:
        worker: {host: 10.1.1.1, port: 4001}
    security:
      tls: {enabled: true, cert: /tls/cert.pem, key: /tls/key.pem}
    parameters:
      log_level: warning
    runtime:
      data_dir: state
"""


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path)
    use_environments(monkeypatch, tmp_path)
    write_environment(tmp_path, "test", TEST_YML)
    return tmp_path


def test_file_values_fill_the_settings(here: Path) -> None:
    s = load_settings(check=False, env="test")
    assert s.app.env is Environment.TEST and s.chain.chain_id == 111
    assert (s.agents.worker_host, s.agents.worker_port) == ("10.1.1.1", 4001)
    assert s.agents.credit_port == 3002 and s.agents.credit_host == "127.0.0.1"  # defaults
    assert s.security.tls_enabled and s.security.tls_cert == Path("/tls/cert.pem")
    assert s.app.log_level == "warning" and s.app.data_dir == Path("state")
    assert s.app.keystore_dir == Path("state/keystores")
    assert s.environment is not None and s.environment.name == "layered"
    assert s.environment_file == here / "environments" / "test.yml"
    assert (
        str(s.source_of("chain.chain_id")) == "environments/test.yml services.blockchain.chain_id"
    )
    assert str(s.source_of("chain.verifier_address")) == "default"


def test_dotenv_beats_the_file_and_the_environment_beats_dotenv(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(check=False, env="test").chain.chain_id == 111
    (here / ".env").write_text("CHAIN_ID=222\nWORKER_AGENT_HOST=10.2.2.2\n")
    s = load_settings(check=False, env="test")
    assert s.chain.chain_id == 222 and s.agents.worker_host == "10.2.2.2"
    assert str(s.source_of("chain.chain_id")) == ".env CHAIN_ID"
    monkeypatch.setenv("CHAIN_ID", "333")
    s = load_settings(check=False, env="test")
    assert s.chain.chain_id == 333 and s.agents.worker_host == "10.2.2.2"
    assert str(s.source_of("chain.chain_id")) == "env CHAIN_ID"
    s = load_settings(check=False, env="test", chain={"chain_id": 444})
    assert s.chain.chain_id == 444 and s.source_of("chain.chain_id").kind == "override"
    assert s.agents.worker_port == 4001  # the file still fills the rest


def test_interpolation_reads_the_environment_then_dotenv(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(check=False, env="test").chain.rpc_url is None  # ${LAYER_RPC:-}
    (here / ".env").write_text("LAYER_RPC=http://from-dotenv:8545\n")
    assert load_settings(check=False, env="test").chain.rpc_url == "http://from-dotenv:8545"
    monkeypatch.setenv("LAYER_RPC", "http://from-env:8545")
    assert load_settings(check=False, env="test").chain.rpc_url == "http://from-env:8545"


def test_an_unset_reference_without_default_is_an_error(here: Path) -> None:
    write_environment(here, "test", TEST_YML.replace("${LAYER_RPC:-}", "${LAYER_RPC}"))
    with pytest.raises(ConfigurationError, match=r"rpc_url uses \$\{LAYER_RPC\}"):
        load_settings(check=False, env="test")


def test_env_file_is_configurable(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = here / "ci.env"
    other.write_text("CHAIN_ID=555\n")
    assert load_settings(check=False, env="test", env_file=other).chain.chain_id == 555
    monkeypatch.setenv("ZKREDIT_ENV_FILE", str(other))
    s = load_settings(check=False, env="test")
    assert s.chain.chain_id == 555 and str(s.source_of("chain.chain_id")) == "ci.env CHAIN_ID"
    monkeypatch.setenv("ZKREDIT_ENV_FILE", str(here / "missing.env"))
    with pytest.raises(ConfigurationError, match=r"missing\.env"):
        load_settings(check=False)


def test_the_environment_is_chosen_by_argument_then_variables_then_dotenv(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_environment(here, "development", "name: dev\n")
    assert load_settings(check=False).environment.name == "dev"  # type: ignore[union-attr]
    (here / ".env").write_text("NODE_ENV=test\n")
    s = load_settings(check=False)
    assert s.app.env is Environment.TEST and s.environment and s.environment.name == "layered"
    monkeypatch.setenv("ZKREDIT_ENV", "Development")
    assert load_settings(check=False).environment.name == "dev"  # type: ignore[union-attr]
    s = load_settings(check=False, env=Environment.TEST)
    assert s.app.env is Environment.TEST and str(s.source_of("app.env")) == "override (env=test)"


def test_a_custom_environment_declares_its_kind(here: Path) -> None:
    write_environment(here, "eu-test", TEST_YML + "    environment: test\n")
    assert load_settings(check=False, env="eu-test").app.env is Environment.TEST
    path = write_environment(here, "other", TEST_YML + "    environment: staging\n")
    s = load_settings(check=False, env=str(path))
    assert s.app.env is Environment.STAGING and s.is_production


def test_a_kind_without_a_file_runs_on_defaults(here: Path) -> None:
    s = load_settings(check=False, env="staging")
    assert s.environment is None and s.environment_file is None
    assert s.app.env is Environment.STAGING and s.chain.chain_id == 1337


def test_an_unknown_environment_suggests_the_closest(here: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown environment 'tset'") as caught:
        load_settings(check=False, env="tset")
    assert "Did you mean 'test'?" in (caught.value.hint or "")


def test_existing_override_calls_keep_working(here: Path) -> None:
    s = load_settings(check=False, database={"url": "sqlite:///x.db"}, app={"data_dir": here})
    assert s.database.url == "sqlite:///x.db" and s.app.data_dir == here
    assert s.app.keystore_dir == here / "keystores"
    assert s.app.deployments_dir == project_root() / "deployments"
    assert load_settings(check=False, app={"env": "test"}).environment is not None


def test_an_unknown_override_area_is_a_programming_error(here: Path) -> None:
    with pytest.raises(TypeError, match="did you mean 'chain'"):
        load_settings(check=False, chian={"chain_id": 1})


def test_runtime_directories_and_keystore_password(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKREDIT_KEYSTORE_DIR", str(here / "ks"))
    monkeypatch.setenv("ZKREDIT_DEPLOYMENTS_DIR", str(here / "dep"))
    (here / "pw").write_text("from the file\n")
    monkeypatch.setenv("ZKREDIT_KEYSTORE_PASSWORD_FILE", str(here / "pw"))
    s = load_settings(check=False)
    assert s.app.keystore_dir == here / "ks" and s.app.deployments_dir == here / "dep"
    assert s.app.read_keystore_password() == "from the file"
    monkeypatch.setenv("ZKREDIT_KEYSTORE_PASSWORD", "from the variable")
    assert load_settings(check=False).app.read_keystore_password() == "from the variable"


def test_an_invalid_variable_names_itself_and_its_source(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / ".env").write_text("WORKER_AGENT_PORT=many\n")
    with pytest.raises(ConfigurationError, match=r"WORKER_AGENT_PORT .*from \.env") as caught:
        load_settings(check=False)
    assert "'many'" in caught.value.message
