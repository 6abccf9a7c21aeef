"""Where job state lives: the :class:`JobStore` protocol and an in-memory store.

A store is the queue's source of truth. The Redis queue keeps it in Redis
hashes (:mod:`zkredit.jobs.redis_store`); the in-process executor keeps it in a
SQL table (:mod:`zkredit.jobs.sql_store`) so that jobs survive a restart, or in
memory for tests and throw-away runs.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from zkredit.jobs.api import JobId, JobState
from zkredit.jobs.record import Change, Expect, JobRecord

ACTIVE_STATES = (JobState.QUEUED, JobState.FAILED, JobState.RUNNING)


class JobStore(Protocol):
    def insert(self, record: JobRecord) -> JobRecord:
        """Store ``record``; if its dedup key is taken, store nothing and return the holder."""
        ...

    def get(self, job_id: JobId) -> JobRecord | None: ...

    def find(self, dedup_key: str) -> JobRecord | None:
        """The job ``dedup_key`` names, if any."""
        ...

    def cas(self, job_id: JobId, expect: Expect, change: Change) -> bool:
        """Apply ``change`` atomically if the row matches ``expect``; report whether it did."""
        ...

    def dead(self, limit: int) -> list[JobRecord]:
        """Dead jobs, oldest first."""
        ...


class PollableJobStore(JobStore, Protocol):
    """A store an executor can poll for work (the Redis queue is pushed messages instead)."""

    def due(self, now: datetime, kinds: Collection[str], limit: int) -> list[JobId]:
        """Ids of jobs of ``kinds`` that are due (or whose lease expired) by ``now``."""
        ...

    def next_due_at(self, kinds: Collection[str]) -> datetime | None:
        """The earliest due time (or lease expiry) among active jobs of ``kinds``."""
        ...


class MemoryJobStore:
    """A thread-safe store in a dict; state dies with the process."""

    def __init__(self) -> None:
        self._rows: dict[JobId, JobRecord] = {}
        self._dedup: dict[str, JobId] = {}
        self._lock = threading.Lock()

    def insert(self, record: JobRecord) -> JobRecord:
        with self._lock:
            if record.dedup_key is not None:
                holder = self._dedup.get(record.dedup_key)
                if holder is not None:
                    return self._rows[holder]
                self._dedup[record.dedup_key] = record.id
            self._rows[record.id] = record
            return record

    def get(self, job_id: JobId) -> JobRecord | None:
        with self._lock:
            return self._rows.get(job_id)

    def find(self, dedup_key: str) -> JobRecord | None:
        with self._lock:
            holder = self._dedup.get(dedup_key)
            return self._rows.get(holder) if holder is not None else None

    def cas(self, job_id: JobId, expect: Expect, change: Change) -> bool:
        with self._lock:
            row = self._rows.get(job_id)
            if row is None or not expect.matches(row):
                return False
            self._rows[job_id] = change.apply(row)
            return True

    def dead(self, limit: int) -> list[JobRecord]:
        with self._lock:
            rows = [r for r in self._rows.values() if r.state is JobState.DEAD]
        return sorted(rows, key=lambda r: r.updated_at)[:limit]

    def due(self, now: datetime, kinds: Collection[str], limit: int) -> list[JobId]:
        with self._lock:
            rows = [
                r
                for r in self._rows.values()
                if r.kind in kinds and r.state in ACTIVE_STATES and r.next_run_at <= now
            ]
        return [r.id for r in sorted(rows, key=lambda r: r.next_run_at)[:limit]]

    def next_due_at(self, kinds: Collection[str]) -> datetime | None:
        with self._lock:
            times = [
                r.next_run_at
                for r in self._rows.values()
                if r.kind in kinds and r.state in ACTIVE_STATES
            ]
        return min(times, default=None)

    def counts(self) -> dict[JobState, int]:
        """How many jobs are in each state (the queue-depth gauge reads this)."""
        with self._lock:
            out = dict.fromkeys(JobState, 0)
            for r in self._rows.values():
                out[r.state] += 1
        return out

    def snapshot(self) -> list[JobRecord]:
        """Every row (for tests and debugging)."""
        with self._lock:
            return list(self._rows.values())
