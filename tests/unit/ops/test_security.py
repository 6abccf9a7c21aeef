"""zkredit security assess on real configurations: production with placeholder secrets and
development keys scores below the threshold; the test environment scores what it is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zkredit.ops.security import SECTIONS, assess, context
from zkredit.settings import load_settings

REAL = {"jwt_secret": "3f9c1b7e5d2a48c6b0e1f7a9d3c5b2e83f9c1b7e",
        "encryption_key": "9b2e7d4c1a3f5e8b6d0c2a4f7e9b1d3c9b2e7d4c"}


def _app(tmp_path: Path) -> dict[str, Path]:
    return {"data_dir": tmp_path / "data", "deployments_dir": tmp_path / "deployments",
            "keystore_dir": tmp_path / "keystores"}


@pytest.fixture
def dev_keys(tmp_path: Path) -> dict[str, Path]:
    """A copy of circuits/ whose key manifest says a single-party development setup."""
    dst = tmp_path / "circuits"
    shutil.copytree(ROOT / "circuits", dst, ignore=shutil.ignore_patterns("*.ptau", "*.zkey",
                                                                         "*.wasm", "*.r1cs"))
    manifest = json.loads((dst / "keys" / "MANIFEST.json").read_text())
    manifest["setup"] = "single-party-dev"
    manifest.pop("phase2", None)
    (dst / "keys" / "MANIFEST.json").write_text(json.dumps(manifest))
    return {"manifest_path": dst / "circuits.json", "zkey_path": dst / "keys"}


def test_production_with_placeholders_and_dev_keys_scores_below(tmp_path: Path,
                                                                 dev_keys: dict[str, Path]
                                                                 ) -> None:
    settings = load_settings(check=False, env="production", app=_app(tmp_path), zk=dev_keys)
    result = assess(settings, ctx=context(settings))
    assert not result.passed and result.score < result.threshold
    assert result.risk == "critical"
    for item_id in ("jwt_secret", "encryption_key", "ceremony", "vault", "keystores"):
        assert result.item(item_id).status == "fail", item_id
    assert "single-party development setup" in result.item("ceremony").evidence
    assert "JWT_SECRET is a placeholder" in result.item("jwt_secret").evidence
    assert set(result.scores) == set(SECTIONS)


def test_the_test_environment_scores_what_it_is(tmp_path: Path) -> None:
    settings = load_settings(check=False, env="test", app=_app(tmp_path), security=REAL)
    result = assess(settings, ctx=context(settings))
    statuses = {i.id: i.status for i in result.items}
    assert statuses == {
        # test.yml: TLS off, no VPC or WAF declared; agents on loopback
        "tls": "fail", "bind": "pass", "segmentation": "fail", "waf": "fail",
        "firewall": "manual",
        # real secrets, rate limits on, info logs; no agent running to walk
        "jwt_secret": "pass", "encryption_key": "pass", "rate_limits": "pass",
        "log_level": "pass", "auth": "manual", "injection": "manual",
        # no keystores, nothing deployed here
        "keystores": "fail", "deployment": "fail",
        # the committed ceremony keys
        "ceremony": "pass", "integrity": "pass", "security_level": "pass",
        "nullifier_scope": "warn", "vault": "pass", "circuit_audit": "manual",
        # retention 7 days; gdpr only; no databases yet
        "audit_log": "manual", "retention": "pass", "anchoring": "fail", "gdpr": "pass",
        "soc2": "fail", "iso27001": "fail",
        # alert rules and telemetry on; security alerts not declared; no backup yet
        "alerts": "pass", "telemetry": "pass", "security_alerts": "fail", "backups": "fail",
        "intrusion": "manual"}
    assert result.scores["zk"] == pytest.approx(100 * (30 + 30 + 20 + 15 + 20) / 130, abs=0.1)
    assert result.score == pytest.approx(sum(result.scores.values()) / 6, abs=0.1)
    assert "security.tls.enabled is false in" in result.item("tls").evidence
    assert "environments/test.yml" in result.item("tls").evidence
