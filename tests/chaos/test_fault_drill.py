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
    assert set(report["faults"]) == set(FAULTS), summary
    assert min(report["faults"].values()) >= FLOWS // len(FAULTS), summary
    assert all(v == "ok" for v in report["audit"].values()), summary
    stalled = [p for p in report["problems"] if _stalled_after_redis(p, report)]
    assert [p for p in report["problems"] if p not in stalled] == [], summary
    if stalled:  # known, open (issue 8): shown as XFAIL with what stalled, never hidden
        pytest.xfail(f"{STALLED_AFTER_REDIS}: {stalled}")
    assert report["completed"] == FLOWS, summary


STALLED_AFTER_REDIS = (
    "open (issue 8): a transfer whose 60 s quote lapses while Redis is down ends "
    "'expired' (no transfer was requested and no money moved; the sender must quote "
    "again), which the drill does not count as completed. The stall this excuse used "
    "to cover (a consumer dropping its delayed retries) is fixed by redelivery")


def _stalled_after_redis(problem: str, report: dict[str, object]) -> bool:
    """A transfer under the Redis fault whose quote lapsed (it ended ``expired``), or the
    loan such a flow left without its attestation (nothing else is excused)."""
    outcomes = report.get("outcomes")
    assert isinstance(outcomes, list)
    under_redis = {str(o["i"]) for o in outcomes if o.get("fault") == "redis"}
    words = problem.split()
    if problem.startswith("flow ") and words[1] in under_redis and " ended expired" in problem:
        return True
    stalled_flow = any(str(o["i"]) in under_redis and f"flow {o['i']} " in p
                       for o in outcomes for p in report["problems"])  # type: ignore[attr-defined]
    return stalled_flow and "nullifier consumed on chain, attestation missing" in problem
