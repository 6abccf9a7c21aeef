"""``zkredit bench http`` smoke runs: the report's shape and no errors, never timings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT, require
from zkredit.bench.http import run_http_bench
from zkredit.demo.system import LiveSystem

pytestmark = pytest.mark.e2e

TARGETS = {"gateway_live", "gateway_health", "agent_live", "agent_health", "quote"}
FIELDS = {"label", "method", "url", "requests", "errors", "duration_s", "p50_ms", "p99_ms",
          "rps", "reference", "rps_ratio"}
SHORT = ("--duration", "1", "--connections", "2")


def bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "bench", "http", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def configured(system: LiveSystem) -> dict[str, str]:
    """The system's agent ports as settings: the gateway publishes no addresses."""
    return {"REMITTANCE_AGENT_PORT": str(system.ports["remittance"])}


def assert_clean_report(report: dict[str, Any]) -> None:
    assert report["duration_s"] == 1
    assert report["connections"] == 2
    assert set(report["targets"]) == TARGETS
    for key, target in report["targets"].items():
        assert set(target) == FIELDS, key
        assert target["requests"] > 0, key
        assert target["errors"] == 0, (key, target)
        assert target["rps_ratio"] > 0, key
    targets = report["targets"]
    assert targets["gateway_health"]["reference"] == "gateway_live"
    assert targets["agent_health"]["reference"] == targets["quote"]["reference"] == "agent_live"
    assert targets["agent_live"]["reference"] is None
    assert targets["agent_live"]["rps_ratio"] == 1.0
    assert targets["quote"]["method"] == "POST"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    running = LiveSystem(tmp_path_factory.mktemp("bench-http"), rate_limit_requests=10**9).start()
    yield running
    running.stop()


def gateway_url(system: LiveSystem) -> str:
    return f"http://127.0.0.1:{system.ports['gateway']}"


def test_builtin_generator_against_a_running_system(system: LiveSystem) -> None:
    r = bench("--json", *SHORT, "--tool", "builtin", "--url", gateway_url(system),
              env=configured(system))
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["tool"] == "builtin"
    assert report["system"] == gateway_url(system)
    assert_clean_report(report)


def test_wrk_against_a_running_system(system: LiveSystem,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk)")
    for name, value in configured(system).items():
        monkeypatch.setenv(name, value)
    report = run_http_bench(gateway_url(system), duration_s=1, connections=2, tool="wrk")
    assert report["tool"].startswith("wrk")
    assert_clean_report(report)


def test_human_mode_prints_a_table_and_progress_on_stderr(system: LiveSystem) -> None:
    r = bench(*SHORT, "--tool", "builtin", "--url", gateway_url(system), env=configured(system))
    assert r.returncode == 0, r.stderr
    assert "remittance POST /quotes" in r.stdout
    assert "ratio" in r.stdout
    assert "loading gateway GET /api/health" in r.stderr


def test_without_url_it_starts_its_own_system() -> None:
    r = bench("--json", *SHORT)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["system"].startswith("in-process")
    assert_clean_report(report)


def test_a_url_that_is_no_gateway_is_bad_input() -> None:
    r = bench("--json", *SHORT, "--url", "http://127.0.0.1:9")
    assert r.returncode == 2
    assert "Error: could not list the agents" in r.stderr
