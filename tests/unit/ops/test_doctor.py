"""zkredit doctor on real failures: a stopped database is named, a port held by another
process names that process, error messages match the seed's patterns."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zkredit.chain.node import free_port
from zkredit.ops.doctor import _chain, diagnose
from zkredit.ops.health import HealthReport, Targets
from zkredit.settings import Settings, load_settings


def settings_with(tmp_path: Path, **areas: dict[str, object]) -> Settings:
    app = {"data_dir": tmp_path / "data", "deployments_dir": tmp_path / "deployments",
           **areas.pop("app", {})}
    return load_settings(check=False, env="development", app=app, **areas)


def by_id(report: object, key: str) -> list[object]:
    return [d for d in report.diagnoses if d.id == key]  # type: ignore[attr-defined]


def test_a_stopped_database_is_named(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://zkredit:secret@127.0.0.1:{port}/zkredit_prod"
    report = diagnose(settings_with(tmp_path, database={"url": url}))
    [down] = by_id(report, "database_down")
    assert down.title == f"the database is down: PostgreSQL at 127.0.0.1:{port}, " \
        "database zkredit_prod"  # type: ignore[attr-defined]
    evidence = "\n".join(down.evidence)  # type: ignore[attr-defined]
    assert f"nothing on this machine listens on port {port}: the server is stopped" in evidence
    assert "unreachable for worker, credit, remittance, receiver, access" in evidence
    assert "secret" not in evidence
    assert down.fixes.immediate and down.fixes.verify  # type: ignore[attr-defined]
    assert report.critical


def test_a_missing_sqlite_database_is_named(tmp_path: Path) -> None:
    report = diagnose(settings_with(tmp_path))
    missing = by_id(report, "database_missing")
    assert {d.title for d in missing} >= {"no database for credit"}  # type: ignore[attr-defined]


@pytest.fixture
def squatter() -> Iterator[tuple[int, int]]:
    """Another program (python's http.server) holding a port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert time.monotonic() < deadline and proc.poll() is None, "http.server did not start"
        time.sleep(0.05)
    yield port, proc.pid
    proc.terminate()
    proc.wait(timeout=10)


def test_a_port_taken_by_another_process_names_it(tmp_path: Path,
                                                  squatter: tuple[int, int]) -> None:
    port, pid = squatter
    settings = settings_with(tmp_path, agents={"credit_port": port})
    report = diagnose(settings)
    [taken] = by_id(report, "port_taken")
    assert taken.title == f"port {port} of the credit service is held by another process"  # type: ignore[attr-defined]
    evidence = "\n".join(taken.evidence)  # type: ignore[attr-defined]
    assert f"port {port} is held by pid {pid} (python" in evidence, evidence
    assert "http.server" in evidence
    assert f"kill {pid}" in taken.fixes.immediate[0]  # type: ignore[attr-defined]
    assert "CREDIT_AGENT_PORT" in taken.fixes.immediate[1]  # type: ignore[attr-defined]
    assert report.observations["ports"]["credit"]["owner"].startswith(f"pid {pid}")
    assert os.getpid() != pid


@pytest.mark.parametrize(("message", "key"), [
    ("Error: gas estimated cost exceeds the block gas limit", "gas_estimation"),
    ("insufficient funds for gas * price + value", "gas_estimation"),
    ("circom: error[T3001]: circuit compilation failed", "zk_compilation"),
    ("request to http://127.0.0.1:8545 failed, reason: timeout of 30000ms exceeded",
     "performance_issue"),
    ("circuit artifacts do not match the manifest, proving is disabled", "circuits_altered"),
])
def test_error_patterns(tmp_path: Path, message: str, key: str) -> None:
    report = diagnose(settings_with(tmp_path), error=message)
    [found] = by_id(report, key)
    assert found.confidence >= 0.75  # type: ignore[attr-defined]
    assert found.fixes.immediate and found.fixes.short_term  # type: ignore[attr-defined]
    assert found.fixes.long_term and found.fixes.verify  # type: ignore[attr-defined]


def test_connection_refused_names_the_component_that_is_down(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_with(tmp_path, agents={"remittance_port": port})
    report = diagnose(settings, error=f"connect ECONNREFUSED 127.0.0.1:{port}")
    [refused] = by_id(report, "service_connection_failure")
    assert refused.confidence == 0.95  # type: ignore[attr-defined]
    assert "the remittance service is not running" in refused.title  # type: ignore[attr-defined]
    assert any(f"remittance service (http://127.0.0.1:{port})" in e
               for e in refused.evidence)  # type: ignore[attr-defined]


def test_clock_behind_the_chain_is_skew(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    targets = Targets.from_settings(settings)
    [skew] = _chain(settings, targets, HealthReport("development", [], 0.0), 420.0)
    assert skew.id == "clock_skew" and skew.severity == "critical"
    assert "420 s ahead" in skew.evidence[0]
    assert _chain(settings, targets, HealthReport("development", [], 0.0), 2.0) == []
