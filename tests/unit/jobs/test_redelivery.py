"""Resuming a live job whose delivery was lost (``ensure``/``revive`` deliver it again).

A transport that only records deliveries stands in for a broker: the test decides which
deliveries arrive (``run``) and which are lost (never run), on a clock it moves by hand.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.jobs.queue_suite import Calls
from zkredit.jobs import JobState, JsonObject, MemoryJobStore
from zkredit.jobs.api import Handler, JobId
from zkredit.jobs.core import REDELIVER_GRACE_S, StoreQueue, redeliver_grace
from zkredit.jobs.record import JobRecord

LEASE_S = 5.0
GRACE_S = 40.0


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingQueue(StoreQueue):
    """Deliveries are only recorded; :meth:`run` is a message arriving at a worker."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(MemoryJobStore(), lease_s=LEASE_S, clock=clock,
                         redeliver_after_s=GRACE_S)
        self.deliveries: list[tuple[JobId, datetime | None]] = []

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 30.0) -> None:
        pass

    def _deliver(self, record: JobRecord, at: datetime | None) -> None:
        self.deliveries.append((record.id, at))

    def run(self, job_id: JobId) -> bool:
        return self._execute(job_id).ran


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def _flaky(calls: Calls) -> Handler:
    """Fails its first call (a peer down), succeeds after."""

    def step(payload: JsonObject) -> JsonObject:
        if calls.bump() == 1:
            raise RuntimeError("peer unreachable")
        return {"calls": calls.n}

    return step


def _stuck_after_one_failure(q: RecordingQueue, calls: Calls) -> JobId:
    """A job whose first attempt failed and whose retry message was lost."""
    q.register("step", _flaky(calls))
    job = q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1")
    assert q.run(job)
    record = q.machine.get(job)
    assert (record.state, record.attempts) == (JobState.FAILED, 1)
    assert q.deliveries[-1][1] == record.next_run_at  # the delayed retry message ...
    q.deliveries.clear()  # ... which the consumer drops
    return job


def test_default_grace_is_at_least_the_lease_and_thirty_seconds() -> None:
    assert redeliver_grace(15.0) == timedelta(seconds=REDELIVER_GRACE_S)
    assert redeliver_grace(120.0) == timedelta(seconds=120)
    assert redeliver_grace(15.0, 2.0) == timedelta(seconds=2)
    with pytest.raises(ValueError, match="must not be negative"):
        redeliver_grace(15.0, -1.0)


def test_a_live_job_not_yet_overdue_is_not_delivered_again(clock: ManualClock) -> None:
    q = RecordingQueue(clock)
    calls = Calls()
    job = _stuck_after_one_failure(q, calls)
    due = q.machine.get(job).next_run_at
    clock.now = due + timedelta(seconds=GRACE_S)  # late, but within the grace

    assert q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1") == job
    status = q.revive("disburse:L-1")

    assert status is not None and status.state is JobState.FAILED
    assert q.deliveries == []


def test_an_overdue_failed_job_is_delivered_again_and_runs_once(clock: ManualClock) -> None:
    q = RecordingQueue(clock)
    calls = Calls()
    job = _stuck_after_one_failure(q, calls)
    clock.now = q.machine.get(job).next_run_at + timedelta(seconds=GRACE_S + 1)

    assert q.ensure("step", {"loan": "L-1"}, dedup_key="disburse:L-1") == job

    assert q.deliveries == [(job, None)]  # the same job, sent now; no new record
    assert q.run(job)
    status = q.status(job)
    assert (status.state, status.attempts, status.result) == (JobState.DONE, 2, {"calls": 2})
    assert not q.run(job)  # a late copy of the lost message finds the job done
    assert calls.n == 2


def test_revive_delivers_an_overdue_queued_job_again(clock: ManualClock) -> None:
    q = RecordingQueue(clock)
    calls = Calls()
    q.register("step", _flaky(calls))
    job = q.enqueue("step", {}, dedup_key="k")
    q.deliveries.clear()  # the first message is lost
    clock.advance(GRACE_S + 1)

    status = q.revive("k")

    assert status is not None and status.state is JobState.QUEUED
    assert q.deliveries == [(job, None)]


def test_a_finished_job_is_never_delivered_again(clock: ManualClock) -> None:
    q = RecordingQueue(clock)
    q.register("step", lambda p: {"ok": True})
    job = q.ensure("step", {}, dedup_key="k")
    assert q.run(job)
    q.deliveries.clear()
    clock.advance(10 * GRACE_S)

    q.ensure("step", {}, dedup_key="k")

    assert q.deliveries == []


def test_a_running_job_whose_lease_expired_long_ago_is_delivered_again(
    clock: ManualClock,
) -> None:
    """An attempt whose worker vanished without its message being requeued: the new
    delivery claims the job, counting the lost attempt."""
    q = RecordingQueue(clock)
    calls = Calls()
    q.register("step", lambda p: {"calls": calls.bump()})
    job = q.enqueue("step", {}, dedup_key="k")
    claimed = q.machine.claim(job)  # a worker claims it, then is never heard of again
    assert q.machine.get(job).state is JobState.RUNNING, claimed
    q.deliveries.clear()
    clock.advance(LEASE_S + GRACE_S / 2)
    q.ensure("step", {}, dedup_key="k")
    assert q.deliveries == []  # lease expired, but within the grace

    clock.advance(GRACE_S)
    q.ensure("step", {}, dedup_key="k")

    assert q.deliveries == [(job, None)]
    assert q.run(job)
    status = q.status(job)
    assert (status.state, status.attempts, calls.n) == (JobState.DONE, 2, 1)


def test_two_deliveries_racing_run_the_handler_once(clock: ManualClock) -> None:
    """ensure() from two reconcilers at once: two messages, one attempt (the CAS claim)."""
    q = RecordingQueue(clock)
    calls = Calls()
    entered, release = threading.Event(), threading.Event()

    def step(payload: JsonObject) -> JsonObject:
        if calls.bump() == 1:
            raise RuntimeError("peer unreachable")
        entered.set()
        release.wait(5)
        return {"calls": calls.n}

    q.register("step", step)
    job = q.ensure("step", {}, dedup_key="k")
    assert q.run(job)  # attempt 1 fails; its retry message is lost
    q.deliveries.clear()
    clock.now = q.machine.get(job).next_run_at + timedelta(seconds=GRACE_S + 1)
    q.ensure("step", {}, dedup_key="k")
    q.revive("k")
    assert q.deliveries == [(job, None), (job, None)]

    ran: list[bool] = []
    first = threading.Thread(target=lambda: ran.append(q.run(job)))
    first.start()
    assert entered.wait(5)
    ran.append(q.run(job))  # the second message, while the first runs
    release.set()
    first.join(5)

    assert sorted(ran) == [False, True]
    status = q.status(job)
    assert (status.state, status.attempts, calls.n) == (JobState.DONE, 2, 2)
