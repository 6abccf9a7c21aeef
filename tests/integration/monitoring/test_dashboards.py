"""The Grafana dashboards and provisioning: the seed's seven, panels reading real metrics."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require
from tests.integration.monitoring.promql import ROOT, exported_names, metric_names

GRAFANA = ROOT / "deploy" / "grafana"
BOARDS = {p.stem: p for p in sorted((GRAFANA / "dashboards").glob("*.json"))}
SEED_BOARDS = {"infrastructure", "application", "zk", "database", "blockchain", "security",
               "cost"}

# The seed's ZK dashboard (DEPLOYMENT.md, createZKDashboard): title, type, position.
SEED_ZK_PANELS = {
    "ZK Proof Generation Time": ("timeseries", {"h": 8, "w": 12, "x": 0, "y": 0}),
    "ZK Proof Verification Time": ("timeseries", {"h": 8, "w": 12, "x": 12, "y": 0}),
    "ZK Proof Success Rate": ("stat", {"h": 6, "w": 8, "x": 0, "y": 8}),
    "Circuit Integrity Status": ("stat", {"h": 6, "w": 8, "x": 8, "y": 8}),
    "Trusted Setup Ceremony": ("table", {"h": 6, "w": 8, "x": 16, "y": 8}),
    "Privacy Score": ("stat", {"h": 6, "w": 12, "x": 0, "y": 14}),
    "ZK Attack Detection": ("table", {"h": 6, "w": 12, "x": 12, "y": 14}),
}


def board(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BOARDS[name].read_text())
    return data


def expressions() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expr) of every query of every panel."""
    return [(name, panel["title"], target["expr"])
            for name in BOARDS for panel in board(name)["panels"]
            for target in panel["targets"]]


def test_the_seeds_seven_dashboards_are_shipped_with_unique_uids() -> None:
    assert set(BOARDS) == SEED_BOARDS
    uids = [board(name)["uid"] for name in BOARDS]
    assert len(set(uids)) == len(uids)


def test_the_zk_dashboard_has_the_seeds_panels() -> None:
    zk = board("zk")
    assert zk["title"] == "ZKredit Zero-Knowledge Proofs"
    panels = {p["title"]: (p["type"], p["gridPos"]) for p in zk["panels"]}
    for title, expected in SEED_ZK_PANELS.items():
        assert panels.get(title) == expected, title
    by_title = {p["title"]: p for p in zk["panels"]}
    assert by_title["Privacy Score"]["targets"][0]["expr"] == "avg(zk_privacy_score)"
    mapping = by_title["Circuit Integrity Status"]["fieldConfig"]["defaults"]["mappings"]
    assert {m["options"].popitem()[1]["text"] for m in mapping} == {"Compromised", "Intact"}


@pytest.mark.parametrize(("name", "title", "expr"), expressions(),
                         ids=[f"{n}:{t}" for n, t, _ in expressions()])
def test_every_panel_reads_only_metrics_the_code_exports(name: str, title: str,
                                                         expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{name}/{title}: no metric in {expr!r}"
    unknown = names - exported_names()
    assert not unknown, f"{name}/{title} reads {unknown}, which nothing exports"


def test_panels_are_laid_out_on_the_grid_and_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml")
                                 .read_text())["datasources"]
    uids = {d["uid"] for d in provisioned}
    for name in BOARDS:
        panels = board(name)["panels"]
        assert len({p["id"] for p in panels}) == len(panels), name
        for p in panels:
            grid = p["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (name, p["title"])
            assert p["datasource"]["uid"] in uids
            assert all(t["datasource"]["uid"] in uids for t in p["targets"])


def test_the_dashboard_provider_points_where_compose_mounts_the_dashboards() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/zkredit.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = (ROOT / "deploy/compose/docker-compose.prod.yml").read_text()
    assert f"../grafana/dashboards:{path}:ro" in compose


@pytest.mark.slow
def test_every_panel_expression_is_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    require(promtool is not None, "promtool is not installed (apt-get install prometheus)")
    assert promtool is not None
    rules = [{"record": f"dashboard:expr_{i}", "expr": expr}
             for i, (_, _, expr) in enumerate(expressions())]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
