"""The in-process executor against the shared queue suite, on each store it runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine

from tests.unit.jobs.queue_suite import JobQueueSuite, MakeQueue
from zkredit.jobs import InProcessQueue, MemoryJobStore, PollableJobStore, SqlJobStore, jobs_table
from zkredit.jobs.core import StoreQueue


def _factory(
    new_store: type[MemoryJobStore] | None, tmp_path: Path
) -> tuple[MakeQueue, list[StoreQueue]]:
    made: list[StoreQueue] = []

    def make(*, time_scale: float = 0.001, lease_s: float = 1.0) -> StoreQueue:
        store: PollableJobStore
        if new_store is not None:
            store = new_store()
        else:
            engine = create_engine(f"sqlite:///{tmp_path / f'jobs{len(made)}.sqlite'}")
            sql = SqlJobStore(engine, jobs_table(MetaData()))
            sql.create_table()
            store = sql
        q = InProcessQueue(store, workers=2, poll_s=0.02, lease_s=lease_s, time_scale=time_scale)
        made.append(q)
        return q

    return make, made


class TestInProcessOnMemory(JobQueueSuite):
    @pytest.fixture
    def make_queue(self, tmp_path: Path) -> Iterator[MakeQueue]:
        make, made = _factory(MemoryJobStore, tmp_path)
        yield make
        for q in made:
            q.stop(timeout=5)


class TestInProcessOnSqlite(JobQueueSuite):
    @pytest.fixture
    def make_queue(self, tmp_path: Path) -> Iterator[MakeQueue]:
        make, made = _factory(None, tmp_path)
        yield make
        for q in made:
            q.stop(timeout=5)
