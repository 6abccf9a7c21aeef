"""The Redis-backed queue: dramatiq's RedisBroker carries job ids, Redis hashes hold state.

A dramatiq message carries only a job id (JSON-encoded, never pickled). The
job's payload, status, attempts and result live in :class:`RedisJobStore`, and
every message runs :meth:`StoreQueue._execute`: claim under a lease, run,
record the outcome. The job store, not the message, decides what happens, so
a duplicated or redelivered message cannot run a job twice at once, and a
retry is a new delayed message (dramatiq's own ``Retries`` only catches
infrastructure failures that escape the job code, such as Redis being down).

Crash safety comes from two mechanisms:

* dramatiq acks a message only after the job code returns. A worker that
  dies leaves its messages in its Redis "acks" set; once its heartbeat is
  older than ``heartbeat_timeout_ms``, broker maintenance moves them back to
  their queue. Maintenance piggybacks on a random ``maintenance_chance`` per
  million broker commands, and only a command on the dead worker's own queue
  recovers that queue's messages; an idle consumer polls every 0.5-1 s
  (``worker_timeout_ms``).
* the dead attempt's lease (``lease_s``) expires, and the redelivered message
  claims the job, counting the lost attempt.

A consumer that is alive but lost its connection drops the delayed messages it held
and keeps heartbeating, so neither mechanism brings them back: resuming the job
(:meth:`StoreQueue.ensure` / ``revive``, which the reconciler calls) sends it again
once it is overdue by more than the grace (:data:`zkredit.jobs.core.REDELIVER_GRACE_S`).

See docs/decisions/0005-job-queue.md for the settings and measured times.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Interrupt, Retries, ShutdownNotifications, TimeLimit

from zkredit.jobs.api import DEFAULT_TIMEOUT_S, ISOLATED_QUEUES, JobId, JobSpec
from zkredit.jobs.backoff import BackoffPolicy
from zkredit.jobs.core import StoreQueue
from zkredit.jobs.record import JobRecord, utcnow
from zkredit.jobs.redis_store import RedisJobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RedisQueueOptions:
    """Tuning of the Redis queue; the defaults suit production, tests shorten the times."""

    namespace: str = "zkredit"
    #: Threads that take jobs in this process once start() is called; 0 = producer only.
    worker_threads: int = 0
    #: dramatiq queues this process consumes (None: every queue it registered kinds on).
    queues: frozenset[str] | None = None
    #: A worker whose broker heartbeat is older than this is presumed dead.
    heartbeat_timeout_ms: int = 15_000
    #: Chance, per million broker commands, that the command also requeues dead workers'
    #: messages (dramatiq's default: 1 000; measured here, 10 000 took 178 s to redeliver
    #: and 100 000 about 21 s). A hit costs two sorted-set reads, plus a KEYS scan while
    #: a dead worker is unswept.
    maintenance_chance: int = 100_000
    #: How long an idle consumer sleeps between polls (also bounds heartbeat intervals).
    worker_timeout_ms: int = 1_000
    #: How long a running attempt owns its job without renewing (renewed every lease_s / 3).
    lease_s: float = 15.0
    #: Jobs whose first message was not confirmed sent this long ago are sent again.
    resend_after_s: float = 30.0
    #: Multiplies retry delays (tests only).
    time_scale: float = 1.0
    #: How long past due an unclaimed live job must be before ensure()/revive() send it
    #: again (None: max(lease_s, 30 s); see zkredit.jobs.core.REDELIVER_GRACE_S).
    redeliver_after_s: float | None = None


def _actor_name(queue: str) -> str:
    return f"zkredit.jobs.{queue}"


class RedisJobQueue(StoreQueue):
    """A :class:`zkredit.jobs.api.JobQueue` on Redis, consumed by dramatiq workers."""

    interrupts = (Interrupt,)

    def __init__(
        self,
        redis_url: str,
        options: RedisQueueOptions | None = None,
        *,
        policy: BackoffPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        broker_url: str | None = None,
    ) -> None:
        """``broker_url`` puts dramatiq's keys in another Redis (or logical db) than job state."""
        self.options = opts = options or RedisQueueOptions()
        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.redis_store = RedisJobStore(self.client, opts.namespace)
        super().__init__(
            self.redis_store,
            lease_s=opts.lease_s,
            policy=policy,
            time_scale=opts.time_scale,
            clock=clock,
            redeliver_after_s=opts.redeliver_after_s,
        )
        self.broker = RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq leaves it untyped
            url=broker_url or redis_url,
            namespace=f"{opts.namespace}:dramatiq",
            heartbeat_timeout=opts.heartbeat_timeout_ms,
            maintenance_chance=opts.maintenance_chance,
            middleware=[
                TimeLimit(),
                ShutdownNotifications(),
                Retries(max_retries=20, min_backoff=1_000, max_backoff=300_000),
            ],
        )
        self._actors: dict[str, dramatiq.Actor[[str], None]] = {}
        self._worker: dramatiq.Worker | None = None
        self._workers: list[dramatiq.Worker] = []
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- transport ------------------------------------------------------------------

    def _declared(self, spec: JobSpec) -> None:
        queue = spec.queue
        if queue in self._actors:
            return

        def process(job_id: str) -> None:
            self._on_message(queue, JobId(job_id))

        self._actors[queue] = dramatiq.Actor(
            process,
            broker=self.broker,
            actor_name=_actor_name(queue),
            queue_name=queue,
            priority=0,
            options={},
        )

    def _revived_elsewhere(self, record: JobRecord) -> None:
        # Consumers' sweeps send jobs listed as unsent (see resend_unsent).
        self.redis_store.mark_unsent(record.id, self.machine.clock() - timedelta(days=1))

    def _deliver(self, record: JobRecord, at: datetime | None) -> None:
        spec = self.spec(record.kind)
        self._send(spec.queue, record.id, at, spec.timeout_s)
        if at is None:
            self.redis_store.mark_sent(record.id)

    def _send(self, queue: str, job_id: JobId, at: datetime | None, timeout_s: float) -> None:
        delay_ms = None
        if at is not None:
            delay_ms = int((at - self.machine.clock()).total_seconds() * 1000)
            delay_ms = delay_ms if delay_ms > 0 else None
        self._actors[queue].send_with_options(
            args=(job_id,), delay=delay_ms, time_limit=int(timeout_s * 1000)
        )

    def _on_message(self, queue: str, job_id: JobId) -> None:
        visit = self._execute(job_id)
        if visit.again_at is None:
            return
        # Not claimable yet: a retry message came early, another worker holds the
        # lease (a duplicate, or a dead worker's redelivered message), or no worker
        # here handles the kind (a rolling deploy). Look again when the backoff ends
        # or the lease would have expired; the message stays on its queue.
        record = self.store.get(job_id)
        if record is not None and not record.state.finished:
            spec = self._specs.get(record.kind)
            timeout_s = spec.timeout_s if spec else DEFAULT_TIMEOUT_S
            self._send(queue, job_id, visit.again_at + timedelta(milliseconds=50), timeout_s)

    def resend_unsent(self, older_than_s: float | None = None) -> int:
        """Send the message of jobs listed as unsent: a producer died between storing a job
        and sending its first message, or a process without the kind's handler revived
        it or found it overdue (see :meth:`_revived_elsewhere`)."""
        age = self.options.resend_after_s if older_than_s is None else older_than_s
        cutoff = self.machine.clock() - timedelta(seconds=age)
        count = 0
        for job_id in self.redis_store.unsent_before(cutoff):
            record = self.store.get(job_id)
            if record is None or record.state.finished:
                self.redis_store.mark_sent(job_id)
            elif record.kind in self.kinds:  # a duplicate message would only bounce
                self._deliver(record, None)
                count += 1
        return count

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Consume in this process (``worker_threads`` > 0): warm up, then take jobs."""
        threads = self.options.worker_threads
        if threads <= 0 or self._worker is not None:
            return
        self._run_startup()
        self.broker.emit_after("process_boot")
        consumed = set(self.options.queues) if self.options.queues else {
            self.spec(kind).queue for kind in self.kinds}
        shared = consumed - set(ISOLATED_QUEUES)
        pools = ([(shared, threads)] if shared else []) + [
            ({queue}, count) for queue, count in ISOLATED_QUEUES.items() if queue in consumed]
        for queues, count in pools:  # an isolated queue gets a dramatiq worker of its own
            worker = dramatiq.Worker(
                self.broker,
                queues=queues,
                worker_threads=count,
                worker_timeout=self.options.worker_timeout_ms,
            )
            # Long CPU-bound jobs: hold at most one waiting message per thread, so
            # idle workers elsewhere get the rest.
            worker.queue_prefetch = count
            worker.start()
            self._workers.append(worker)
        self._worker = self._workers[0] if self._workers else None
        self.keeper.start()
        self._stopping.clear()
        self._sweeper = threading.Thread(target=self._sweep, name="zkredit-job-sweep", daemon=True)
        self._sweeper.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        for worker in self._workers:
            worker.stop(timeout=int(timeout * 1000))
        self._workers = []
        self._worker = None
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None
        self.keeper.stop()
        self.broker.close()
        self.client.close()

    def _sweep(self) -> None:
        while not self._stopping.wait(self.options.resend_after_s):
            try:
                self.resend_unsent()
            except redis.RedisError:
                log.exception("could not resend unsent jobs")
