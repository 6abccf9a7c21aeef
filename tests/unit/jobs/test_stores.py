"""The in-memory and SQL stores against the shared store suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect

from tests.unit.jobs.store_suite import PollableJobStoreSuite
from zkredit.jobs import MemoryJobStore, PollableJobStore, SqlJobStore, jobs_table
from zkredit.jobs.table import jobs


class TestMemoryJobStore(PollableJobStoreSuite):
    @pytest.fixture
    def store(self) -> PollableJobStore:
        return MemoryJobStore()


class TestSqliteJobStore(PollableJobStoreSuite):
    @pytest.fixture
    def store(self, tmp_path: Path) -> PollableJobStore:
        sql = SqlJobStore(
            create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}"), jobs_table(MetaData())
        )
        sql.create_table()
        return sql


def test_jobs_table_has_exactly_the_agreed_columns() -> None:
    assert [c.name for c in jobs.columns] == [
        "id",
        "kind",
        "dedup_key",
        "payload",
        "status",
        "attempts",
        "max_attempts",
        "next_run_at",
        "last_error",
        "result",
        "created_at",
        "updated_at",
    ]
    assert jobs.c.dedup_key.unique
    assert jobs.c.dedup_key.nullable


def test_create_table_is_idempotent(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    store = SqlJobStore(engine, jobs_table(MetaData(), name="queue_jobs"))
    store.create_table()
    store.create_table()
    assert "queue_jobs" in inspect(engine).get_table_names()
