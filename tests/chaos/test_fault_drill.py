"""The fault drill in CI: ten flows under seeded faults (every kind at least twice), then
the exactly-once checks. ``zkredit bench chaos --flows 50`` is the full run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.chain.conftest import anvil_available
from tests.integration.e2e.test_crash_resume_services import PG_URL, _pg_reachable
from zkredit.bench.chaos import FAULTS, Drill

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.anvil, pytest.mark.postgres,
              pytest.mark.redis]

FLOWS = int(os.environ.get("ZKREDIT_CHAOS_FLOWS", "10"))
SEED = int(os.environ.get("ZKREDIT_CHAOS_SEED", "20261201"))


def test_flows_survive_seeded_faults_exactly_once(tmp_path: Path) -> None:
    ok, why = anvil_available()
    require(ok, why)
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    problem = _pg_reachable()
    require(problem is None, f"PostgreSQL is not reachable at {PG_URL}: {problem}")
    report = Drill(tmp_path, FLOWS, SEED, PG_URL).run()
    summary = {k: v for k, v in report.items() if k != "outcomes"}
    assert report["duplicates"] == 0, summary
    assert report["lost"] == 0, summary
    assert report["problems"] == [], summary
    assert report["completed"] == FLOWS, summary
    assert set(report["faults"]) == set(FAULTS), summary
    assert min(report["faults"].values()) >= FLOWS // len(FAULTS), summary
    assert all(v == "ok" for v in report["audit"].values()), summary
