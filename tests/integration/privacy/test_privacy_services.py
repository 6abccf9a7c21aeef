"""Scenarios 1-2 on PostgreSQL and Redis, then a privacy audit of every other agent.

Runs in CI (CI=true makes a missing PostgreSQL or Redis a failure, not a skip).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.conftest import require
from zkredit.demo.run import run_scenarios

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _reachable() -> tuple[bool, str]:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return False, f"PostgreSQL not reachable at {PG_URL}: {exc}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return False, f"Redis not reachable at {REDIS_URL}: {exc}"
    return True, ""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ok, why = _reachable()
    require(ok, why)
    prefix = "p" + uuid.uuid4().hex[:10]
    data: Path = tmp_path_factory.mktemp("pg")
    try:
        return run_scenarios(["scenario1", "scenario2"], data, database_url=PG_URL,
                             redis_url=REDIS_URL, schema_prefix=prefix)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for party in ("worker", "credit", "remittance", "receiver"):
                conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}_{party}" CASCADE')


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_scenarios_complete_on_postgres_and_redis(report: dict[str, Any]) -> None:
    by = {s["name"]: s for s in report["scenarios"]}
    assert by["scenario1"]["status"] == "passed" and by["scenario1"]["state"] == "completed"
    assert by["scenario2"]["decision"] == "approved" and by["scenario2"]["tier"] == 2


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_no_raw_value_reaches_another_agent(report: dict[str, Any]) -> None:
    privacy = report["privacy"]
    assert privacy["clean"], privacy["leaks"]
    # every table of each other agent, plus its logs and received HTTP bodies, was read
    for party in ("credit", "remittance", "receiver"):
        assert privacy["searched"][party] >= 8, privacy["searched"]
