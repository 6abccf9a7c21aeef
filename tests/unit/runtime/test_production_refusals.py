"""A production start refuses, naming the file or setting: placeholder secrets, debug
logging, TLS off, development ceremony keys, one flipped byte in a committed key, and a
label-derived agent key. Each case is ``zkredit serve credit --env production`` run as
an operator would, from a configuration that is otherwise fit for production."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from tests.conftest import ROOT
from zkredit.chain.wallets import agent_dev_wallet
from zkredit.keystore import Keystore

PASSWORD = "a production keystore password"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A production configuration with nothing to refuse (but no chain to reach)."""
    root = tmp_path_factory.mktemp("prod")
    tls = root / "tls"
    tls.mkdir()
    (tls / "tls.crt").write_text("certificate")
    (tls / "tls.key").write_text("key")
    Keystore(root / "keystores").create("credit", PASSWORD)
    return {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "ZKREDIT_ENV": "production",
        "ZKREDIT_DATA_DIR": str(root / "data"),
        "ZKREDIT_DEPLOYMENTS_DIR": str(root / "deployments"),
        "ZKREDIT_KEYSTORE_DIR": str(root / "keystores"),
        "ZKREDIT_KEYSTORE_PASSWORD": PASSWORD,
        "ZKREDIT_KEYSTORE_PASSWORD_FILE": "",
        "ZKREDIT_TLS_CERT": str(tls / "tls.crt"),
        "ZKREDIT_TLS_KEY": str(tls / "tls.key"),
        "JWT_SECRET": "3f9c1b7e5d2a48c6b0e1f7a9d3c5b2e8",
        "ENCRYPTION_KEY": "9b2e7d4c1a3f5e8b6d0c2a4f7e9b1d3c",
        "RPC_URL": "http://127.0.0.1:9",  # nothing listens: only refusals may happen first
        "LOG_LEVEL": "info",
    }


def serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zkredit.cli.main", "serve", "credit"],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_fit_configuration_gets_past_every_refusal(base: dict[str, str],
                                                     tmp_path: Path) -> None:
    """The baseline: the start fails only at the chain, which the fixture leaves out."""
    done = serve(base, tmp_path)
    assert done.returncode != 0
    assert "refusing to start" not in done.stderr, done.stderr
    assert "127.0.0.1:9" in done.stderr or "chain" in done.stderr.lower(), done.stderr


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"JWT_SECRET": "your-jwt-secret-here"}, "JWT_SECRET is a placeholder"),
        ({"ENCRYPTION_KEY": "changeme"}, "ENCRYPTION_KEY is a placeholder"),
        ({"LOG_LEVEL": "debug"}, "LOG_LEVEL=debug"),
        ({"ZKREDIT_TLS_ENABLED": "false"}, "ZKREDIT_TLS_ENABLED=false"),
        ({"ZK_SECURITY_LEVEL": "development"}, "ZK_SECURITY_LEVEL=development"),
    ],
    ids=["jwt-placeholder", "encryption-placeholder", "debug-logging", "tls-off",
         "dev-security-level"],
)
def test_unsafe_settings_are_refused_by_name(base: dict[str, str], tmp_path: Path,
                                             change: dict[str, str], named: str) -> None:
    done = serve({**base, **change}, tmp_path)
    assert done.returncode == 7, done.stderr  # ExitStatus.CONFIG_ERROR
    assert "refusing to start the credit agent in 'production'" in done.stderr
    assert named in done.stderr, done.stderr


def _keys_copy(tmp_path: Path) -> Path:
    """A ZKREDIT_HOME with a copy of circuits/ (manifest, sources, keys; no ptau) to alter,
    and the environments."""
    dst = tmp_path / "circuits"
    shutil.copytree(ROOT / "circuits", dst, ignore=shutil.ignore_patterns("*.ptau"))
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return dst


def test_one_flipped_byte_in_a_committed_key_is_refused_naming_the_file(
        base: dict[str, str], tmp_path: Path) -> None:
    circuits = _keys_copy(tmp_path)
    zkey = circuits / "keys" / "income.zkey"
    data = bytearray(zkey.read_bytes())
    data[len(data) // 2] ^= 0x01
    zkey.write_bytes(bytes(data))
    done = serve({**base, "ZKREDIT_HOME": str(tmp_path)}, tmp_path)
    assert done.returncode == 7, done.stderr
    problems = done.stderr.split("Hint:")[0].strip().splitlines()[1:]
    assert problems and all("circuit artifact mismatch" in p for p in problems), done.stderr
    assert "income.zkey" in done.stderr, done.stderr


@pytest.mark.slow
def test_development_ceremony_keys_are_refused(base: dict[str, str], tmp_path: Path) -> None:
    """Real single-party keys (`zkredit circuits dev-setup`, here for one circuit)."""
    import groth16py

    from zkredit.zk.ceremony import dev_setup
    from zkredit.zk.manifest import CircuitCatalog

    catalog = CircuitCatalog.load(ROOT / "circuits" / "circuits.json")
    shutil.copytree(ROOT / "circuits" / "src", tmp_path / "src")
    spec = json.loads((ROOT / "circuits" / "circuits.json").read_text())
    (tmp_path / "circuits.json").write_text(json.dumps({"income": spec["income"]}))
    one = CircuitCatalog(tmp_path, catalog.keys_dir, {"income": catalog.get("income")})
    dev_setup(one, tmp_path / "keys", Path(groth16py.circomlib_path(2)))
    done = serve({**base, "ZK_ZKEY_PATH": str(tmp_path / "keys"),
                  "ZK_CIRCUITS_MANIFEST": str(tmp_path / "circuits.json")}, tmp_path)
    assert done.returncode == 7, done.stderr
    problems = done.stderr.split("Hint:")[0].strip().splitlines()[1:]
    assert len(problems) == 1 and "development ceremony keys" in problems[0], done.stderr
    assert str(tmp_path / "keys") in problems[0], done.stderr


def test_a_label_derived_agent_key_is_refused_naming_the_keystore(
        base: dict[str, str], tmp_path: Path) -> None:
    keystores = tmp_path / "keystores"
    keystores.mkdir()
    derived = Account.encrypt(agent_dev_wallet("credit").key, PASSWORD)
    (keystores / "credit.json").write_text(json.dumps(derived))
    done = serve({**base, "ZKREDIT_KEYSTORE_DIR": str(keystores)}, tmp_path)
    assert done.returncode == 7, done.stderr
    assert "label-derived development key" in done.stderr
    assert str(keystores / "credit.json") in done.stderr, done.stderr


def test_a_missing_keystore_is_refused_naming_the_command(base: dict[str, str],
                                                          tmp_path: Path) -> None:
    done = serve({**base, "ZKREDIT_KEYSTORE_DIR": str(tmp_path / "none")}, tmp_path)
    assert done.returncode == 7, done.stderr
    assert "no keystore for the credit agent" in done.stderr
    assert "zkredit keys new --agent credit" in done.stderr


def test_tls_ended_at_a_declared_proxy_is_accepted(base: dict[str, str], tmp_path: Path) -> None:
    """nginx or an Ingress ends TLS: the operator says so, and the agents serve plain HTTP."""
    done = serve({**base, "ZKREDIT_TLS_ENABLED": "false", "ZKREDIT_TLS_PROXY": "true"},
                 tmp_path)
    assert done.returncode != 0 and "refusing to start" not in done.stderr, done.stderr
