"""The job state machine, the one place where the queue's rules live.

::

    queued --claim--> running --ok--------------------> done
       ^                 |  \\--error, attempts left--> failed --due, claim--> running
       |                 |   \\-error, none left / permanent--> dead
       |                 \\--lease expired (worker lost)--> reclaimed like failed
       \\------------------ retry_dead ---------------------------/

A running attempt holds a lease (``next_run_at``) that its worker renews. When a
worker dies its lease expires and the next claim takes the job over, counting
the lost attempt; a job whose last allowed attempt was lost becomes dead rather
than crash-looping its workers. Every write is a compare-and-set fenced by
``attempts``, so each transition happens once even when workers race.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from zkredit.jobs import hooks
from zkredit.jobs.api import JobId, JobState, JsonObject
from zkredit.jobs.backoff import BackoffPolicy
from zkredit.jobs.errors import DedupConflictError, JobStateError, UnknownJobError
from zkredit.jobs.record import Change, Expect, JobRecord
from zkredit.jobs.store import JobStore

_CAS_TRIES = 5


@dataclass(frozen=True)
class Claimed:
    """This caller now runs attempt ``record.attempts``."""

    record: JobRecord


@dataclass(frozen=True)
class NotYet:
    """Not claimable before ``at`` (backoff pending, or another worker holds the lease)."""

    at: datetime


@dataclass(frozen=True)
class Settled:
    """Nothing to run: the job is done or dead (``record``), or does not exist (``None``)."""

    record: JobRecord | None


ClaimResult = Claimed | NotYet | Settled


@dataclass(frozen=True)
class Succeeded:
    result: JsonObject | None


@dataclass(frozen=True)
class Failed:
    error: str
    permanent: bool = False
    retry_after_s: float | None = None
    """At most this long before the next attempt (the handler's ``retry_after_s``): a
    job that waits on a peer looks again soon instead of backing off for minutes."""


Outcome = Succeeded | Failed


class JobMachine:
    """Applies the rules above to a :class:`JobStore`."""

    def __init__(
        self,
        store: JobStore,
        *,
        lease_s: float,
        policy: BackoffPolicy,
        time_scale: float = 1.0,
        clock: Callable[[], datetime],
    ) -> None:
        if lease_s <= 0 or time_scale <= 0:
            raise ValueError("lease_s and time_scale must be positive")
        self.store = store
        self.lease = timedelta(seconds=lease_s)
        self.policy = policy
        self.time_scale = time_scale
        self.clock = clock

    def create(
        self, kind: str, payload: JsonObject, *, dedup_key: str | None, max_attempts: int
    ) -> tuple[JobRecord, bool]:
        """Insert a job; returns the stored record and whether it is new."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        fresh = JobRecord.new(
            kind, payload, dedup_key=dedup_key, max_attempts=max_attempts, now=self.clock()
        )
        stored = self.store.insert(fresh)
        if stored.id == fresh.id:
            return stored, True
        # The telemetry carrier says who enqueued, not what the job is: a resume from
        # another trace must find the same job.
        if stored.kind != kind or hooks.detach(stored.payload)[0] != hooks.detach(payload)[0]:
            raise DedupConflictError(
                f"dedup key {dedup_key!r} already names job {stored.id} of kind {stored.kind!r} "
                "with a different payload",
                hint="Derive the dedup key from everything that makes the job unique.",
            )
        return stored, False

    def get(self, job_id: JobId) -> JobRecord:
        record = self.store.get(job_id)
        if record is None:
            raise UnknownJobError(f"no job with id {job_id!r}")
        return record

    def claim(self, job_id: JobId) -> ClaimResult:
        for _ in range(_CAS_TRIES):
            record = self.store.get(job_id)
            if record is None or record.state.finished:
                return Settled(record)
            now = self.clock()
            if record.next_run_at > now:
                return NotYet(record.next_run_at)
            expect = Expect(record.state, record.attempts, due_by=now)
            lost = record.state is JobState.RUNNING
            if lost and record.attempts >= record.max_attempts:
                change = Change(
                    updated_at=now,
                    state=JobState.DEAD,
                    last_error=f"attempt {record.attempts} was lost (its worker stopped "
                    "renewing the lease) and no attempts are left",
                )
                if self.store.cas(job_id, expect, change):
                    return Settled(change.apply(record))
                continue
            change = Change(
                updated_at=now,
                state=JobState.RUNNING,
                attempts=record.attempts + 1,
                next_run_at=now + self.lease,
                last_error=(
                    f"attempt {record.attempts} was lost (its worker stopped renewing the lease)"
                    if lost
                    else None
                ),
            )
            if self.store.cas(job_id, expect, change):
                return Claimed(change.apply(record))
        return NotYet(self.clock() + self.lease)

    def renew(self, record: JobRecord) -> bool:
        """Extend the lease of ``record``'s attempt; ``False`` if the attempt was superseded."""
        now = self.clock()
        return self.store.cas(
            record.id,
            Expect(JobState.RUNNING, record.attempts),
            Change(updated_at=now, next_run_at=now + self.lease),
        )

    def settle(self, record: JobRecord, outcome: Outcome) -> JobRecord | None:
        """Record the outcome of ``record``'s attempt; ``None`` if the attempt was superseded."""
        now = self.clock()
        if isinstance(outcome, Succeeded):
            change = Change(updated_at=now, state=JobState.DONE, result=outcome.result)
        elif outcome.permanent or record.attempts >= record.max_attempts:
            change = Change(updated_at=now, state=JobState.DEAD, last_error=outcome.error)
        else:
            wait = self.policy.delay(record.attempts)
            if outcome.retry_after_s is not None:
                wait = min(wait, max(0.0, outcome.retry_after_s))
            wait *= self.time_scale
            change = Change(
                updated_at=now,
                state=JobState.FAILED,
                next_run_at=now + timedelta(seconds=wait),
                last_error=outcome.error,
            )
        if self.store.cas(record.id, Expect(JobState.RUNNING, record.attempts), change):
            return change.apply(record)
        return None

    def revive(self, job_id: JobId) -> JobRecord:
        """Move a dead job back to queued with a fresh attempt budget."""
        for _ in range(_CAS_TRIES):
            record = self.get(job_id)
            if record.state is not JobState.DEAD:
                raise JobStateError(
                    f"job {job_id} is {record.state.value}, not dead",
                    hint="Only dead letters can be retried; live jobs retry by themselves.",
                )
            now = self.clock()
            change = Change(updated_at=now, state=JobState.QUEUED, attempts=0, next_run_at=now)
            if self.store.cas(job_id, Expect(JobState.DEAD, record.attempts), change):
                return change.apply(record)
        raise JobStateError(f"job {job_id} changed while being revived; try again")
