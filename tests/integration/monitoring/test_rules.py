"""The shipped Prometheus and Alertmanager files, checked by Debian's promtool and amtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require
from tests.integration.monitoring.promql import ROOT, exported_names, metric_names

PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))

SEED_ALERTS = {"HighErrorRate", "ZKProofFailure", "HighLatency", "CircuitIntegrityFailure",
               "SecurityAttack"}
ADDED_ALERTS = {"AgentDown", "QueueBacklog", "ChainUnreachable", "AuditAnchorLag", "BackupAge"}

pytestmark = pytest.mark.slow


def tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None,
            f"{name} is not installed (apt-get install prometheus prometheus-alertmanager)")
    assert path is not None
    return path


def run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules_and_both_scrape_configs() -> None:
    promtool = tool("promtool")
    assert "SUCCESS: 10 rules found" in run(promtool, "check", "rules",
                                            PROMETHEUS / "alerts.yml")
    for config in ("prometheus.yml", "prometheus.dev.yml"):
        run(promtool, "check", "config", PROMETHEUS / config)


def test_amtool_accepts_the_alertmanager_config() -> None:
    assert "SUCCESS" in run(tool("amtool"), "check-config", ALERTMANAGER)


def test_the_alert_unit_tests_pass() -> None:
    assert RULE_TESTS
    output = run(tool("promtool"), "test", "rules", *RULE_TESTS)
    assert output.count("SUCCESS") == len(RULE_TESTS)


def test_the_seeds_alerts_and_ours_are_all_there() -> None:
    names = {rule["alert"] for rule in rules()}
    assert names == SEED_ALERTS | ADDED_ALERTS
    assert {r["alert"]: r["labels"]["severity"] for r in rules()} == {
        "HighErrorRate": "warning", "ZKProofFailure": "critical", "HighLatency": "warning",
        "CircuitIntegrityFailure": "critical", "SecurityAttack": "critical",
        "AgentDown": "critical", "QueueBacklog": "warning", "ChainUnreachable": "critical",
        "AuditAnchorLag": "warning", "BackupAge": "warning",
    }


def test_every_alert_is_tested_firing_and_then_resolving() -> None:
    checked: dict[str, list[bool]] = {}
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            evals = sorted(case.get("alert_rule_test", []),
                           key=lambda e: _seconds(str(e["eval_time"])))
            for e in evals:
                checked.setdefault(e["alertname"], []).append(bool(e["exp_alerts"]))
    for name in SEED_ALERTS | ADDED_ALERTS:
        seen = checked.get(name, [])
        assert True in seen, f"no test makes {name} fire"
        assert False in seen[seen.index(True):], f"no test makes {name} resolve"


def test_rules_read_only_metrics_the_code_exports() -> None:
    exported = exported_names()
    for rule in rules():
        unknown = metric_names(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']} reads {unknown}, which nothing exports"


def test_the_scrape_config_covers_the_agents_and_the_provers() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {t for group in jobs["zkredit"]["static_configs"] for t in group["targets"]}
    assert {int(t.rsplit(":", 1)[1]) for t in targets} == {3000, 3001, 3002, 3003, 3004}
    assert jobs["zkredit-prover"]["dns_sd_configs"][0]["port"] == 9090
    assert config["rule_files"] == ["alerts.yml"]


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total, number = 0.0, ""
    for ch in duration:
        if ch.isdigit():
            number += ch
        else:
            total += int(number) * units[ch]
            number = ""
    return total
