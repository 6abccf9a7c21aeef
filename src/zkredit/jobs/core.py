"""What both queues share: registration, enqueue with dedup, status, dead letters, one attempt.

A :class:`StoreQueue` keeps the truth in a :class:`JobStore`; subclasses only
decide how a job reaches a worker (:meth:`StoreQueue._deliver`): the in-process
executor wakes its threads, the Redis queue sends a dramatiq message.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from zkredit.jobs import hooks
from zkredit.jobs.api import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_QUEUE,
    DEFAULT_TIMEOUT_S,
    Handler,
    JobId,
    JobSpec,
    JobState,
    JobStatus,
    JsonObject,
)
from zkredit.jobs.backoff import BackoffPolicy
from zkredit.jobs.errors import JobStateError, JobWaitTimeout, UnknownJobKindError
from zkredit.jobs.lease import LeaseKeeper
from zkredit.jobs.machine import Claimed, Failed, JobMachine, NotYet, Outcome
from zkredit.jobs.record import JobRecord, ensure_json_object, utcnow
from zkredit.jobs.runner import run_attempt
from zkredit.jobs.store import JobStore

log = logging.getLogger(__name__)

REDELIVER_GRACE_S = 30.0
"""The least time a live job may sit past its due time (or, running, past its lease's
expiry) unclaimed before :meth:`StoreQueue.ensure` / :meth:`StoreQueue.revive` deliver it
again: its message was lost (a dramatiq consumer that lost its Redis connection drops the
delayed messages it holds, and keeps heartbeating, so the broker never requeues them).
Long enough that a job merely waiting its turn behind busy workers is rarely sent twice;
a second message is harmless anyway (the claim is a compare-and-set), only wasted work.
The effective grace is ``max(lease_s, REDELIVER_GRACE_S)`` unless a queue is given one:
a running attempt renews its lease every ``lease_s / 3``, so it is never that late."""


def redeliver_grace(lease_s: float, override_s: float | None = None) -> timedelta:
    """The grace a queue with ``lease_s`` uses (``override_s`` if given; tests shorten it)."""
    seconds = max(lease_s, REDELIVER_GRACE_S) if override_s is None else override_s
    if seconds < 0:
        raise ValueError(f"the redelivery grace must not be negative, got {seconds} s")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Visit:
    """What :meth:`StoreQueue._execute` did: ran an attempt, and/or when to look again."""

    ran: bool
    again_at: datetime | None = None


class StoreQueue(ABC):
    """The shared half of a :class:`zkredit.jobs.api.JobQueue` implementation."""

    #: BaseExceptions an executor raises into handler threads (see run_attempt).
    interrupts: tuple[type[BaseException], ...] = ()
    #: The agent whose queue this is, for telemetry (see :mod:`zkredit.jobs.hooks`).
    owner: str | None = None

    def __init__(
        self,
        store: JobStore,
        *,
        lease_s: float = 15.0,
        policy: BackoffPolicy | None = None,
        time_scale: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        redeliver_after_s: float | None = None,
    ) -> None:
        self.store = store
        self.redeliver_after = redeliver_grace(lease_s, redeliver_after_s)
        self.machine = JobMachine(
            store,
            lease_s=lease_s,
            policy=policy or BackoffPolicy(),
            time_scale=time_scale,
            clock=clock,
        )
        self.keeper = LeaseKeeper(self.machine, on_timeout=self._timed_out)
        self._specs: dict[str, JobSpec] = {}
        self._startup: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- registration -------------------------------------------------------

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        queue: str = DEFAULT_QUEUE,
    ) -> None:
        if max_attempts < 1 or timeout_s <= 0:
            raise ValueError(f"{kind}: max_attempts must be >= 1 and timeout_s > 0")
        spec = JobSpec(kind, handler, max_attempts=max_attempts, timeout_s=timeout_s, queue=queue)
        with self._lock:
            if kind in self._specs and self._specs[kind] != spec:
                raise ValueError(f"job kind {kind!r} is already registered with another handler")
            self._specs[kind] = spec
        self._declared(spec)

    def job(
        self,
        kind: str,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        queue: str = DEFAULT_QUEUE,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(
                kind, handler, max_attempts=max_attempts, timeout_s=timeout_s, queue=queue
            )
            return handler

        return decorate

    def on_worker_start(self, callback: Callable[[], None]) -> None:
        self._startup.append(callback)

    def spec(self, kind: str) -> JobSpec:
        try:
            return self._specs[kind]
        except KeyError:
            close = difflib.get_close_matches(kind, list(self._specs), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else "Register the kind first."
            raise UnknownJobKindError(
                f"no handler registered for job kind {kind!r}", hint=hint
            ) from None

    @property
    def kinds(self) -> list[str]:
        return list(self._specs)

    # -- producer side --------------------------------------------------------

    def enqueue(self, kind: str, payload: JsonObject, *, dedup_key: str | None = None) -> JobId:
        spec = self.spec(kind)
        clean = hooks.attach(ensure_json_object(payload, f"the payload of a {kind!r} job"),
                             self.owner)
        record, created = self.machine.create(
            kind, clean, dedup_key=dedup_key, max_attempts=spec.max_attempts
        )
        if created:
            self._deliver(record, None)
        return record.id

    def status(self, job_id: JobId) -> JobStatus:
        return self.machine.get(job_id).status()

    def wait(self, job_id: JobId, timeout: float, *, poll_s: float = 0.02) -> JobStatus:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(job_id)
            if status.finished:
                return status
            if time.monotonic() >= deadline:
                raise JobWaitTimeout(
                    f"job {job_id} ({status.kind}) is still {status.state.value} after "
                    f"{timeout} s (attempt {status.attempts}/{status.max_attempts}, "
                    f"last error: {status.last_error or 'none'})",
                    hint="Check that a worker for its queue is running.",
                )
            time.sleep(poll_s)

    def dead_letters(self, limit: int = 100) -> list[JobStatus]:
        return [r.status() for r in self.store.dead(limit)]

    def retry_dead(self, job_id: JobId) -> JobStatus:
        record = self.machine.revive(job_id)
        if record.kind in self._specs:
            self._deliver(record, None)
        else:  # an operator's process (``zkredit jobs retry``): the agent's workers take it
            self._revived_elsewhere(record)
        return record.status()

    def ensure(self, kind: str, payload: JsonObject, *, dedup_key: str) -> JobId:
        """:meth:`enqueue`, then revive the job if dead, or deliver it again if overdue.

        What resuming needs: a plain enqueue returns a dead job's id and runs nothing,
        which strands the work that job was for; and a live job whose message was lost
        (see :data:`REDELIVER_GRACE_S`) would wait for ever just the same.
        """
        job_id = self.enqueue(kind, payload, dedup_key=dedup_key)
        self._resume(job_id)
        return job_id

    def revive(self, dedup_key: str) -> JobStatus | None:
        """Revive the job ``dedup_key`` names if dead, or deliver it again if overdue;
        create nothing. Its status."""
        record = self.store.find(dedup_key)
        if record is None:
            return None
        self._resume(record.id)
        return self.status(record.id)

    def overdue(self, record: JobRecord) -> bool:
        """Whether ``record`` is live but nobody has claimed it for longer than the grace
        after it fell due (queued/failed) or its lease expired (running): its delivery
        was lost, and nothing but a new one will run it."""
        if record.state.finished:
            return False
        return self.machine.clock() - record.next_run_at > self.redeliver_after

    def _resume(self, job_id: JobId) -> None:
        """Make the job ``job_id`` names move on again if nothing else will."""
        record = self.machine.get(job_id)
        if record.state is JobState.DEAD:
            with contextlib.suppress(JobStateError):  # revived by a concurrent caller
                self.retry_dead(job_id)
        elif self.overdue(record):
            self._redeliver(record)

    def _redeliver(self, record: JobRecord) -> None:
        """Send an overdue job's message again; a new delivery, never a new job. Only one
        delivery can claim each attempt (the claim is a compare-and-set), so a message
        that was not lost after all costs a look at the store and runs nothing twice."""
        late = (self.machine.clock() - record.next_run_at).total_seconds()
        log.warning(
            "job %s (%s) is %s and %.0f s overdue: its delivery was lost; delivering it again",
            record.id, record.kind, record.state.value, late)
        if record.kind in self._specs:
            self._deliver(record, None)
        else:  # an operator's process: the agent's workers take it
            self._revived_elsewhere(record)

    # -- worker side ------------------------------------------------------------

    def _run_startup(self) -> None:
        for callback in self._startup:
            callback()

    def _execute(self, job_id: JobId) -> Visit:
        """Claim and run one attempt of ``job_id`` if it is due."""
        record = self.store.get(job_id)
        if record is None or record.state.finished:
            return Visit(ran=False)
        spec = self._specs.get(record.kind)
        if spec is None:
            log.error("job %s: this worker has no handler for kind %r", job_id, record.kind)
            return Visit(ran=False, again_at=self.machine.clock() + self.machine.lease)
        claim = self.machine.claim(job_id)
        if isinstance(claim, NotYet):
            return Visit(ran=False, again_at=claim.at)
        if not isinstance(claim, Claimed):
            return Visit(ran=False)
        with self.keeper.track(claim.record, spec.timeout_s):
            outcome = run_attempt(spec, claim.record, interrupts=self.interrupts)
        self._settle(claim.record, outcome)
        return Visit(ran=True)

    def _settle(self, record: JobRecord, outcome: Outcome) -> None:
        settled = self.machine.settle(record, outcome)
        if settled is None:
            log.warning(
                "job %s: attempt %d finished after losing its lease; outcome discarded",
                record.id,
                record.attempts,
            )
        elif not settled.state.finished:
            self._deliver(settled, settled.next_run_at)
        elif settled.state is JobState.DEAD:
            hooks.current().dead(record.kind, hooks.detach(record.payload)[1])

    def _timed_out(self, record: JobRecord) -> None:
        limit = self._specs[record.kind].timeout_s  # only attempts with a spec are tracked
        self._settle(record, Failed(f"timed out after {limit} s"))

    # -- lifecycle and transport (subclasses) -------------------------------------

    @abstractmethod
    def start(self) -> None:
        """Start taking jobs (each transport decides how)."""

    @abstractmethod
    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; running attempts get ``timeout`` seconds."""

    def _declared(self, spec: JobSpec) -> None:  # noqa: B027 - an optional hook
        """A kind was registered (the Redis queue declares its dramatiq actor here)."""

    def _revived_elsewhere(self, record: JobRecord) -> None:  # noqa: B027 - an optional hook
        """A job of a kind this process does not run was revived or is overdue: polling
        workers find it by themselves; a pushed transport must arrange delivery."""

    @abstractmethod
    def _deliver(self, record: JobRecord, at: datetime | None) -> None:
        """Make sure a worker will look at ``record`` at ``at`` (now if ``None``)."""
