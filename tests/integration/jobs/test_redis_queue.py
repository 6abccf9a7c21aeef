"""The Redis queue (dramatiq workers embedded in this process) against the shared suites."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
import redis

from tests.unit.jobs.queue_suite import WAIT_S, Calls, JobQueueSuite, MakeQueue
from tests.unit.jobs.store_suite import JobStoreSuite
from zkredit.jobs import JobState, JobStore, JsonObject, RedisJobQueue, RedisQueueOptions
from zkredit.jobs.api import JobId
from zkredit.jobs.core import StoreQueue
from zkredit.jobs.record import utcnow
from zkredit.jobs.redis_store import RedisJobStore

pytestmark = pytest.mark.redis


def options(namespace: str, **overrides: object) -> RedisQueueOptions:
    base: dict[str, object] = {
        "namespace": namespace,
        "worker_threads": 2,
        "worker_timeout_ms": 50,
        "heartbeat_timeout_ms": 2_000,
        "maintenance_chance": 1_000_000,
    }
    return RedisQueueOptions(**{**base, **overrides})  # type: ignore[arg-type]


class TestRedisJobStore(JobStoreSuite):
    @pytest.fixture
    def store(self, redis_url: str, namespace: str) -> Iterator[JobStore]:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        yield RedisJobStore(client, namespace)
        client.close()


class TestRedisJobQueue(JobQueueSuite):
    @pytest.fixture
    def make_queue(self, redis_url: str, namespace: str) -> Iterator[MakeQueue]:
        made: list[StoreQueue] = []

        def make(*, time_scale: float = 0.001, lease_s: float = 1.0) -> StoreQueue:
            ns = f"{namespace}:{len(made)}"
            q = RedisJobQueue(redis_url, options(ns, time_scale=time_scale, lease_s=lease_s))
            made.append(q)
            return q

        yield make
        for q in made:
            q.stop(timeout=5)


class SkewedClock:
    """Real time plus an adjustable skew, to age jobs without sleeping."""

    def __init__(self) -> None:
        self.skew = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.skew


def test_interrupted_enqueue_is_resent(redis_url: str, namespace: str) -> None:
    """A producer that died between storing a job and sending its message loses nothing."""
    clock = SkewedClock()
    q = RedisJobQueue(redis_url, options(namespace), clock=clock)
    q.register("payout", lambda p: {"paid": p["amount"]})
    # Stored, but the producer "crashed" before sending the first message.
    record, _ = q.machine.create("payout", {"amount": 5}, dedup_key=None, max_attempts=3)
    q.start()
    try:
        assert q.resend_unsent(older_than_s=60) == 0  # too recent: its producer may be sending
        clock.skew = timedelta(seconds=61)
        assert q.resend_unsent(older_than_s=60) == 1
        clock.skew = timedelta(0)
        status = q.wait(record.id, WAIT_S)
        assert (status.state, status.result) == (JobState.DONE, {"paid": 5})
        assert q.resend_unsent(older_than_s=0) == 0
    finally:
        q.stop(timeout=5)


def test_producer_only_queue_does_not_consume(redis_url: str, namespace: str) -> None:
    producer = RedisJobQueue(redis_url, options(namespace, worker_threads=0))
    producer.register("payout", lambda p: None)
    producer.start()
    job = producer.enqueue("payout", {})
    try:
        assert producer.status(job).state is JobState.QUEUED
        consumer = RedisJobQueue(redis_url, options(namespace))
        consumer.register("payout", lambda p: {"by": "consumer"})
        consumer.start()
        try:
            assert producer.wait(job, WAIT_S).result == {"by": "consumer"}
        finally:
            consumer.stop(timeout=5)
    finally:
        producer.stop(timeout=5)


def test_duplicate_message_does_not_run_a_running_job_twice(redis_url: str, namespace: str) -> None:
    q = RedisJobQueue(redis_url, options(namespace, lease_s=0.5))
    calls = Calls()
    release = threading.Event()

    def payout(payload: JsonObject) -> JsonObject:
        calls.bump()
        release.wait(WAIT_S)
        return {"paid": True}

    q.register("payout", payout)
    q.start()
    try:
        job = q.enqueue("payout", {})
        _wait_until(lambda: q.status(job).state is JobState.RUNNING)
        for _ in range(3):  # e.g. a redelivery after a false heartbeat timeout
            q._send("default", job, None, 60)
        time.sleep(1.2)  # the duplicates bounce on the live lease (renewed every 0.17 s)
        release.set()
        status = q.wait(job, WAIT_S)
        assert (status.state, status.attempts, calls.n) == (JobState.DONE, 1, 1)
    finally:
        q.stop(timeout=5)


def test_worker_without_the_handler_leaves_the_job_to_one_with_it(
    redis_url: str, namespace: str
) -> None:
    producer = RedisJobQueue(redis_url, options(namespace, worker_threads=0))
    producer.register("payout", lambda p: None)
    old = RedisJobQueue(redis_url, options(namespace, lease_s=0.3))
    old.register("anchor", lambda p: None)  # same queue, older release: no "payout" yet
    old.start()
    new = RedisJobQueue(redis_url, options(namespace))
    new.register("payout", lambda p: {"by": "new"})
    try:
        job = producer.enqueue("payout", {})
        time.sleep(0.3)
        assert producer.status(job).state is JobState.QUEUED
        new.start()
        assert producer.wait(job, WAIT_S).result == {"by": "new"}
    finally:
        for q in (old, new, producer):
            q.stop(timeout=5)


def _wait_until(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.005)


def test_ensure_redelivers_a_retry_whose_delayed_message_was_dropped(
    redis_url: str, namespace: str
) -> None:
    """The chaos drill's stall: a consumer that lost its Redis connection dropped the
    delayed retry message it held (and kept heartbeating, so the broker never requeues
    it). The job stays failed, due, unclaimed; resuming (ensure) must deliver it again,
    and the job then completes exactly once."""
    clock = SkewedClock()
    q = RedisJobQueue(redis_url, options(namespace, redeliver_after_s=5.0, time_scale=0.001),
                      clock=clock)
    calls = Calls()

    def step(payload: JsonObject) -> JsonObject:
        if calls.bump() == 1:
            raise RuntimeError("peer unreachable")
        return {"calls": calls.n}

    q.register("step", step)
    send = q._send
    dropped: list[JobId] = []

    def lossy(queue: str, job_id: JobId, at: datetime | None, timeout_s: float) -> None:
        if at is not None and not dropped:  # the retry message, lost once
            dropped.append(job_id)
            return
        send(queue, job_id, at, timeout_s)

    q._send = lossy  # type: ignore[method-assign]
    q.start()
    try:
        job = q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1")
        _wait_until(lambda: bool(dropped))
        assert dropped == [job]
        time.sleep(0.5)  # long past its (scaled) retry delay: nothing runs it
        stuck = q.status(job)
        assert (stuck.state, stuck.attempts, calls.n) == (JobState.FAILED, 1, 1)
        assert stuck.next_run_at < utcnow()

        # Overdue, but not yet by the grace: resuming leaves it alone.
        assert q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1") == job
        time.sleep(0.5)
        assert (q.status(job).state, calls.n) == (JobState.FAILED, 1)

        clock.skew = timedelta(seconds=6)
        assert q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1") == job

        status = q.wait(job, WAIT_S)
        assert (status.state, status.attempts, status.result) == (
            JobState.DONE, 2, {"calls": 2})
        time.sleep(0.3)
        assert calls.n == 2
    finally:
        q.stop(timeout=5)


def test_redelivered_overdue_job_sent_twice_runs_once(redis_url: str, namespace: str) -> None:
    """Two resumes at once (or a message that was only late, not lost): two messages,
    one attempt, because the claim is a compare-and-set."""
    clock = SkewedClock()
    q = RedisJobQueue(redis_url, options(namespace, redeliver_after_s=5.0, lease_s=0.5),
                      clock=clock)
    calls = Calls()
    q.register("step", lambda p: {"calls": calls.bump()})
    record, _ = q.machine.create("step", {}, dedup_key="k", max_attempts=3)  # never sent
    q.start()
    try:
        clock.skew = timedelta(seconds=6)
        q.ensure("step", {}, dedup_key="k")
        q.revive("k")
        q._send("default", record.id, None, 60)  # and the original, late after all
        status = q.wait(record.id, WAIT_S)
        time.sleep(1.0)  # every copy has been consumed (they bounce or find it done)
        assert (status.state, status.attempts, calls.n) == (JobState.DONE, 1, 1)
    finally:
        q.stop(timeout=5)
