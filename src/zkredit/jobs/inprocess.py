"""The embedded executor: worker threads polling a persistent :class:`PollableJobStore`.

Used when there is no ``REDIS_URL``. It keeps the Redis queue's guarantees
because both run the same state machine over a store: with
:class:`~zkredit.jobs.sql_store.SqlJobStore`, a job interrupted by a crash is
picked up by the next process that starts an executor on the same database,
once the dead process's lease has expired. Several processes may share one
database; the compare-and-set claim lets exactly one of them run each attempt.

Queues in :data:`zkredit.jobs.api.ISOLATED_QUEUES` (webhook deliveries) get threads of
their own; every other queue shares the ``workers`` threads.

Threads share the GIL, so CPU-bound handlers (proving) should hand the work to
:class:`zkredit.zk.pool.ProverPool` rather than expect parallelism from
``workers``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from zkredit.jobs.api import ISOLATED_QUEUES
from zkredit.jobs.backoff import BackoffPolicy
from zkredit.jobs.core import StoreQueue
from zkredit.jobs.record import JobRecord, utcnow
from zkredit.jobs.store import MemoryJobStore, PollableJobStore

log = logging.getLogger(__name__)


class InProcessQueue(StoreQueue):
    """``workers`` threads in this process run the registered kinds' due jobs.

    ``time_scale`` multiplies retry delays (tests use ``0.01``: a 1 s backoff
    becomes 10 ms); ``poll_s`` bounds how late a job that became due without a
    wake-up (a retry, another process's enqueue, an expired lease) is noticed.
    """

    def __init__(
        self,
        store: PollableJobStore | None = None,
        *,
        workers: int = 2,
        lease_s: float = 15.0,
        poll_s: float = 0.5,
        time_scale: float = 1.0,
        policy: BackoffPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        redeliver_after_s: float | None = None,
    ) -> None:
        self.jobs: PollableJobStore = store if store is not None else MemoryJobStore()
        super().__init__(
            self.jobs, lease_s=lease_s, policy=policy, time_scale=time_scale, clock=clock,
            redeliver_after_s=redeliver_after_s,
        )
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.poll_s = poll_s
        # One wake-up per pool: a pool clearing its event must not swallow another's kick.
        self._kicks: dict[str | None, threading.Event] = {
            queue: threading.Event() for queue in (None, *ISOLATED_QUEUES)}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self._threads:
            return
        self._stopping.clear()
        self._run_startup()
        self.keeper.start()
        pools = [(None, self.workers), *ISOLATED_QUEUES.items()]
        for queue, count in pools:
            for i in range(count):
                name = f"zkredit-job-{queue}-{i}" if queue else f"zkredit-job-{i}"
                thread = threading.Thread(target=self._loop, args=(queue,), name=name,
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def _kinds(self, queue: str | None) -> list[str]:
        """The kinds a pool runs: ``queue``'s, or (None) those of every shared queue."""
        return [kind for kind in self.kinds
                if (self.spec(kind).queue == queue if queue is not None
                    else self.spec(kind).queue not in ISOLATED_QUEUES)]

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        for kick in self._kicks.values():
            kick.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            # Their attempts keep their leases until the keeper stops; then another
            # process (or the next start) takes them over.
            log.warning("job threads still running after %s s: %s", timeout, ", ".join(stuck))
        self._threads = []
        self.keeper.stop()

    def _deliver(self, record: JobRecord, at: datetime | None) -> None:
        queue = self.spec(record.kind).queue if record.kind in self.kinds else None
        self._kicks[queue if queue in ISOLATED_QUEUES else None].set()

    def _loop(self, queue: str | None = None) -> None:
        while not self._stopping.is_set():
            try:
                ran = self._work_once(queue)
            except Exception:  # a store hiccup must not kill the worker thread
                log.exception("job worker loop failed; retrying in %s s", self.poll_s)
                ran = False
            if not ran:
                self._idle(queue)

    def _work_once(self, queue: str | None = None) -> bool:
        kinds = self._kinds(queue)
        if not kinds:
            return False
        now = self.machine.clock()
        for job_id in self.jobs.due(now, kinds, limit=self.workers + 1):
            if self._stopping.is_set():
                return True
            if self._execute(job_id).ran:
                return True
        return False

    def _idle(self, queue: str | None = None) -> None:
        timeout = self.poll_s
        kinds = self._kinds(queue)
        nxt = self.jobs.next_due_at(kinds) if kinds else None
        if nxt is not None:
            until = (nxt - self.machine.clock()).total_seconds()
            timeout = min(timeout, max(until, 0.001))
        kick = self._kicks[queue]
        kick.wait(timeout)
        kick.clear()
