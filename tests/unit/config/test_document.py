"""Environment documents: the shipped files, and each way a document can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config.envs import SHIPPED, write_environment
from zkredit.config.document import EnvironmentDocument, settings_values
from zkredit.config.interpolation import chain_lookup
from zkredit.config.loader import load_document, locate
from zkredit.errors import ConfigurationError

NOTHING = chain_lookup({})

VALID = """
    name: zkredit-test
    services:
      agents:
        worker: {host: 10.0.0.1, port: 4001}
    security:
      tls:
        enabled: true
        cert: /tls/c.pem
        key: /tls/k.pem
"""


@pytest.mark.parametrize("name", ["development", "test", "staging", "production"])
def test_shipped_environments_validate(name: str) -> None:
    loaded = load_document(SHIPPED / f"{name}.yml", NOTHING)
    assert loaded.kind == name
    assert loaded.document.name == f"zkredit-{name}"
    ports = {a: getattr(loaded.document.services.agents, a).port for a in
             ("gateway", "worker", "credit", "remittance", "receiver")}  # fmt: skip
    assert ports == {"gateway": 3000, "worker": 3001, "credit": 3002, "remittance": 3003,
                     "receiver": 3004}  # fmt: skip


def test_production_carries_the_seed_fields() -> None:
    doc = load_document(SHIPPED / "production.yml", NOTHING).document
    assert doc.infrastructure.vpc and doc.infrastructure.subnets == 3
    assert doc.infrastructure.availability_zones == 3 and doc.infrastructure.cdn
    assert doc.security.tls.enabled and doc.security.tls.cert and doc.security.tls.key
    assert doc.security.waf_enabled and doc.security.key_rotation
    assert doc.security.encryption_at_rest and doc.security.encryption_in_transit
    assert doc.security.monitoring.around_the_clock  # `24x7` in the file
    assert doc.compliance.soc2 and doc.compliance.iso27001 and doc.compliance.gdpr
    assert doc.parameters.log_level == "info"


def test_test_environment_uses_the_seed_shorthands() -> None:
    doc = load_document(SHIPPED / "test.yml", NOTHING).document
    assert doc.services.blockchain.network == "sepolia"
    assert doc.services.blockchain.rpc_url is None  # ${SEPOLIA_RPC_URL:-} unset
    assert doc.security.rate_limiting.enabled  # `rate_limiting: true`
    assert doc.security.access_controls == "strict"
    assert doc.parameters.max_concurrent_requests == 100
    assert doc.parameters.circuit_breaker_threshold == 0.8


def test_only_keys_written_in_the_file_reach_settings(tmp_path: Path) -> None:
    doc = load_document(write_environment(tmp_path, "test", VALID), NOTHING).document
    assert settings_values(doc) == {
        "agents": {"worker_host": ("10.0.0.1", "services.agents.worker.host"),
                   "worker_port": (4001, "services.agents.worker.port")},
        "security": {"tls_enabled": (True, "security.tls.enabled"),
                     "tls_cert": (Path("/tls/c.pem"), "security.tls.cert"),
                     "tls_key": (Path("/tls/k.pem"), "security.tls.key")},
    }  # fmt: skip


# One valid document, then each single corruption and the message it must produce.
TAMPERED = [
    (
        "top-level typo",
        VALID.replace("    security:", "    secruity:"),
        r"unknown key 'secruity' \(line 5\): did you mean 'security'\?",
    ),
    (
        "nested typo",
        VALID.replace("enabled: true", "enabeld: true"),
        r"unknown key 'security.tls.enabeld' \(line 7\): did you mean 'security.tls.enabled'\?",
    ),
    (
        "unknown key, nothing close",
        VALID.replace("    services:", "    zzz: 1\n    services:"),
        r"unknown key 'zzz' \(line 2\): the top level takes name, environment, region",
    ),
    (
        "wrong type",
        VALID.replace("port: 4001", "port: lots"),
        r"services.agents.worker.port \(line 4\): Input should be a valid integer.*'lots'",
    ),
    (
        "port out of range",
        VALID.replace("port: 4001", "port: 70000"),
        r"services.agents.worker.port \(line 4\): Input should be less than or equal to 65535",
    ),
    ("missing name", VALID.replace("    name: zkredit-test\n", ""), r"name is required"),
    ("not a mapping", "- a\n- b\n", r"must be a mapping of keys"),
    ("not YAML", "name: [unclosed\n", r"is not valid YAML \(line 2\)"),
]


@pytest.mark.parametrize(
    ("text", "message"), [t[1:] for t in TAMPERED], ids=[t[0] for t in TAMPERED]
)
def test_tampered_document_is_refused_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_environment(tmp_path, "test", text)
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_document(path, NOTHING)
    assert caught.value.message.startswith("environments/test.yml")
    assert caught.value.hint


def test_several_problems_are_listed_together(tmp_path: Path) -> None:
    text = VALID.replace("    security:", "    secruity:").replace("port: 4001", "port: x")
    with pytest.raises(ConfigurationError, match="2 problems") as caught:
        load_document(write_environment(tmp_path, "test", text), NOTHING)
    assert "did you mean 'security'" in caught.value.message
    assert "services.agents.worker.port" in caught.value.message


def test_kind_defaults_to_the_file_name_and_may_be_declared(tmp_path: Path) -> None:
    assert load_document(write_environment(tmp_path, "staging", VALID), NOTHING).kind == "staging"
    eu = write_environment(tmp_path, "eu-prod", VALID + "    environment: production\n")
    assert load_document(eu, NOTHING).kind == "production"
    with pytest.raises(ConfigurationError, match="does not say which kind") as caught:
        load_document(write_environment(tmp_path, "us-prod", VALID), NOTHING)
    assert "environment: <kind>" in (caught.value.hint or "")


def test_every_model_forbids_unknown_keys() -> None:
    def walk(model: type) -> list[type]:
        from zkredit.config.loader import _model_of

        found = [model]
        for field in model.model_fields.values():  # type: ignore[attr-defined]
            nested = _model_of(field.annotation)
            if nested is not None:
                found += walk(nested)
        return found

    assert all(m.model_config.get("extra") == "forbid" for m in walk(EnvironmentDocument))


def test_unknown_environment_name_suggests_the_closest(tmp_path: Path) -> None:
    write_environment(tmp_path, "production", VALID)
    with pytest.raises(ConfigurationError, match="unknown environment 'prodution'") as caught:
        locate("prodution", tmp_path / "environments")
    assert "Did you mean 'production'?" in (caught.value.hint or "")
    with pytest.raises(ConfigurationError) as caught:
        locate("prod", tmp_path / "environments")
    assert "Did you mean 'production'?" in (caught.value.hint or "")


def test_a_known_kind_without_a_file_has_no_document(tmp_path: Path) -> None:
    assert locate("staging", tmp_path / "environments") is None


def test_a_yml_path_is_used_as_is(tmp_path: Path) -> None:
    path = write_environment(tmp_path, "anything", VALID)
    assert locate(str(path), tmp_path / "elsewhere") == path
    with pytest.raises(ConfigurationError, match="does not exist"):
        locate(str(tmp_path / "missing.yml"), tmp_path)
