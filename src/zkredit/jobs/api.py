"""The seam between the product and its job queues.

Callers see :class:`JobQueue` only. Two implementations exist: the Redis queue
(dramatiq worker processes) and the in-process executor (threads over a
persistent store); :func:`zkredit.jobs.factory.build_queue` picks one. Both give
the same guarantees:

* a job survives a crash of the process running it and is run again later
  (at-least-once execution);
* a dedup key names one job for ever: enqueueing it again returns the same id;
* an attempt that raises is retried with exponential backoff until
  ``max_attempts``; then, or at once on :class:`PermanentJobError`, the job
  becomes a dead letter, kept until someone retries it.

At-least-once means a handler may run again after a crash that happened
between its effect and the queue recording "done". Handlers must therefore
be idempotent: write the effect under a key derived from the job (its
payload's business id, or :func:`current_job`'s ``dedup_key``/``job_id``)
guarded by a unique constraint or a Redis ``SET NX``, and treat "already
there" as success.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType, Protocol

JobId = NewType("JobId", str)
"""An opaque job identifier (a UUID hex string)."""

JsonObject = dict[str, Any]
"""A JSON object: what payloads and results are. Never a pickle."""

Handler = Callable[[JsonObject], JsonObject | None]
"""Runs one attempt of a job: takes the payload, returns the result (or ``None``)."""

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_QUEUE = "default"
WEBHOOK_QUEUE = "webhooks"

ISOLATED_QUEUES: dict[str, int] = {WEBHOOK_QUEUE: 1}
"""Queues whose jobs run on threads of their own (this many per consuming process), never
on the threads that carry money flows: a slow or dead webhook receiver holds a delivery
for its whole timeout, and must not delay a payout or a proof."""


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for its first attempt (or for a retry after retry_dead)
    RUNNING = "running"  # an attempt holds the job's lease
    FAILED = "failed"  # the last attempt failed; the next one is scheduled
    DONE = "done"  # an attempt succeeded; ``result`` holds its return value
    DEAD = "dead"  # attempts exhausted or permanent error; kept as a dead letter

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.DEAD)


@dataclass(frozen=True)
class JobStatus:
    """What a caller may know about a job (everything but its payload)."""

    id: JobId
    kind: str
    state: JobState
    attempts: int
    max_attempts: int
    last_error: str | None
    result: JsonObject | None
    dedup_key: str | None
    next_run_at: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.state.finished


@dataclass(frozen=True)
class JobSpec:
    """A registered job kind: its handler and retry budget."""

    kind: str
    handler: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timeout_s: float = DEFAULT_TIMEOUT_S
    queue: str = DEFAULT_QUEUE


@dataclass(frozen=True)
class JobContext:
    """The attempt being run, for handlers that need an idempotency key."""

    job_id: JobId
    kind: str
    attempt: int
    dedup_key: str | None


_current: ContextVar[JobContext | None] = ContextVar("zkredit_job", default=None)


def current_job() -> JobContext:
    """The job whose handler is running in this thread; raises outside a handler."""
    ctx = _current.get()
    if ctx is None:
        raise LookupError("current_job() is only available inside a job handler")
    return ctx


@contextmanager
def running(ctx: JobContext) -> Iterator[None]:
    """Make ``ctx`` what :func:`current_job` returns (executors wrap each attempt in it)."""
    token = _current.set(ctx)
    try:
        yield
    finally:
        _current.reset(token)


class JobQueue(Protocol):
    """Register handlers, enqueue JSON payloads, follow jobs to completion."""

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        queue: str = DEFAULT_QUEUE,
    ) -> None:
        """Declare ``kind``; producers and workers both register the kinds they use."""
        ...

    def on_worker_start(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once in each worker process before it takes jobs (warm keys here)."""
        ...

    def enqueue(self, kind: str, payload: JsonObject, *, dedup_key: str | None = None) -> JobId:
        """Create a job, or return the existing one with the same ``dedup_key``."""
        ...

    def status(self, job_id: JobId) -> JobStatus:
        """The job's current state; raises :class:`UnknownJobError`."""
        ...

    def wait(self, job_id: JobId, timeout: float) -> JobStatus:
        """Block until the job is done or dead; raises :class:`JobWaitTimeout`."""
        ...

    def dead_letters(self, limit: int = 100) -> list[JobStatus]:
        """Dead jobs, oldest death first."""
        ...

    def retry_dead(self, job_id: JobId) -> JobStatus:
        """Requeue a dead job with a fresh attempt budget; raises :class:`JobStateError`."""
        ...

    def ensure(self, kind: str, payload: JsonObject, *, dedup_key: str) -> JobId:
        """Like :meth:`enqueue`, but a dead job under ``dedup_key`` is revived, and a live one
        long overdue (its delivery lost) is delivered again: what resuming work needs."""
        ...

    def revive(self, dedup_key: str) -> JobStatus | None:
        """Revive the dead job ``dedup_key`` names, or deliver a long overdue live one again;
        create nothing. ``None`` if there is none."""
        ...

    def start(self) -> None:
        """Start taking jobs in this process (if this queue has workers)."""
        ...

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; running attempts get ``timeout`` seconds to finish."""
        ...
