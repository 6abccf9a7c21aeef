"""Jobs: a Redis-backed queue with warm worker processes, or an in-process executor.

Build one with :func:`build_queue` in the composition root; code that enqueues
or waits depends only on the :class:`JobQueue` protocol. See
``docs/decisions/0005-job-queue.md`` for why dramatiq and how crash safety works.
"""

from zkredit.jobs.api import (
    Handler,
    JobContext,
    JobId,
    JobQueue,
    JobSpec,
    JobState,
    JobStatus,
    JsonObject,
    current_job,
)
from zkredit.jobs.backoff import BackoffPolicy, delay
from zkredit.jobs.errors import (
    DedupConflictError,
    JobError,
    JobPayloadError,
    JobStateError,
    JobWaitTimeout,
    PermanentJobError,
    UnknownJobError,
    UnknownJobKindError,
)
from zkredit.jobs.factory import build_queue
from zkredit.jobs.inprocess import InProcessQueue
from zkredit.jobs.redis_queue import RedisJobQueue, RedisQueueOptions
from zkredit.jobs.sql_store import SqlJobStore
from zkredit.jobs.store import JobStore, MemoryJobStore, PollableJobStore
from zkredit.jobs.table import jobs_table

__all__ = [
    "BackoffPolicy",
    "DedupConflictError",
    "Handler",
    "InProcessQueue",
    "JobContext",
    "JobError",
    "JobId",
    "JobPayloadError",
    "JobQueue",
    "JobSpec",
    "JobState",
    "JobStateError",
    "JobStatus",
    "JobStore",
    "JobWaitTimeout",
    "JsonObject",
    "MemoryJobStore",
    "PermanentJobError",
    "PollableJobStore",
    "RedisJobQueue",
    "RedisQueueOptions",
    "SqlJobStore",
    "UnknownJobError",
    "UnknownJobKindError",
    "build_queue",
    "current_job",
    "delay",
    "jobs_table",
]
