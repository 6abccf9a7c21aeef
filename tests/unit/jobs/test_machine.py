"""The state machine on a fake clock: claims, leases, fencing, retries, death, revival."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from zkredit.jobs import DedupConflictError, JobState, JobStateError, MemoryJobStore
from zkredit.jobs.backoff import BackoffPolicy
from zkredit.jobs.errors import UnknownJobError
from zkredit.jobs.machine import Claimed, Failed, JobMachine, NotYet, Settled, Succeeded
from zkredit.jobs.record import JobRecord

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def machine(clock: Clock) -> JobMachine:
    policy = BackoffPolicy(rng=random.Random(7))
    return JobMachine(MemoryJobStore(), lease_s=30, policy=policy, time_scale=1.0, clock=clock)


def new_job(machine: JobMachine, max_attempts: int = 3) -> JobRecord:
    record, created = machine.create(
        "payout", {"amount": 1}, dedup_key=None, max_attempts=max_attempts
    )
    assert created
    return record


def claimed(machine: JobMachine, record: JobRecord) -> JobRecord:
    result = machine.claim(record.id)
    assert isinstance(result, Claimed), result
    return result.record


def test_claim_takes_a_lease_and_counts_the_attempt(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine))
    assert (run.state, run.attempts, run.next_run_at) == (JobState.RUNNING, 1, T0 + LEASE)
    assert machine.get(run.id) == run


def test_live_lease_blocks_a_second_claim(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine))
    clock.advance(29)
    assert machine.claim(run.id) == NotYet(T0 + LEASE)


def test_renewal_keeps_the_lease(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine))
    clock.advance(20)
    assert machine.renew(run)
    clock.advance(20)
    assert isinstance(machine.claim(run.id), NotYet)


def test_expired_lease_is_taken_over_and_the_lost_attempt_fenced_off(
    machine: JobMachine, clock: Clock
) -> None:
    first = claimed(machine, new_job(machine))
    clock.advance(31)
    second = claimed(machine, first)
    assert second.attempts == 2
    assert second.last_error == "attempt 1 was lost (its worker stopped renewing the lease)"
    # The first worker wakes up: it can neither renew nor record its outcome.
    assert not machine.renew(first)
    assert machine.settle(first, Succeeded({"by": "first"})) is None
    done = machine.settle(second, Succeeded({"by": "second"}))
    assert done is not None
    assert (done.state, done.result) == (JobState.DONE, {"by": "second"})
    assert machine.get(first.id) == done


def test_losing_the_last_attempt_makes_the_job_dead(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine, max_attempts=1))
    clock.advance(31)
    result = machine.claim(run.id)
    assert isinstance(result, Settled) and result.record is not None
    assert result.record.state is JobState.DEAD
    assert (
        result.record.last_error is not None and "no attempts are left" in result.record.last_error
    )


def test_failure_schedules_the_backoff(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine))
    failed = machine.settle(run, Failed("RuntimeError: rpc down"))
    assert failed is not None
    assert (failed.state, failed.last_error) == (JobState.FAILED, "RuntimeError: rpc down")
    expected = BackoffPolicy(rng=random.Random(7)).delay(1)
    assert failed.next_run_at == T0 + timedelta(seconds=expected)
    assert isinstance(machine.claim(run.id), NotYet)
    clock.advance(expected)
    assert claimed(machine, run).attempts == 2


def test_time_scale_shrinks_the_backoff(clock: Clock) -> None:
    policy = BackoffPolicy(jitter=0.0)
    fast = JobMachine(MemoryJobStore(), lease_s=30, policy=policy, time_scale=0.01, clock=clock)
    run = claimed(fast, new_job(fast))
    failed = fast.settle(run, Failed("x"))
    assert failed is not None and failed.next_run_at == T0 + timedelta(seconds=0.01)


def test_a_handler_waiting_on_a_peer_caps_the_backoff(clock: Clock) -> None:
    policy = BackoffPolicy(jitter=0.0)  # 1 s doubling: the 10th failure would wait 300 s
    m = JobMachine(MemoryJobStore(), lease_s=30, policy=policy, time_scale=1.0, clock=clock)
    run = claimed(m, new_job(m, max_attempts=20))
    for _ in range(9):
        failed = m.settle(run, Failed("StillPending: sent", retry_after_s=10.0))
        assert failed is not None
        clock.advance((failed.next_run_at - clock.now).total_seconds())
        run = claimed(m, run)
    waited = m.settle(run, Failed("StillPending: sent", retry_after_s=10.0))
    assert waited is not None and waited.next_run_at == clock.now + timedelta(seconds=10)
    early = m.settle(claimed(m, _due(m, clock, waited)), Failed("x", retry_after_s=1e9))
    # a cap longer than the backoff does not lengthen it (the policy's own cap, 300 s)
    assert early is not None and early.next_run_at == clock.now + timedelta(seconds=300)


def _due(m: JobMachine, clock: Clock, record: JobRecord) -> JobRecord:
    clock.advance((record.next_run_at - clock.now).total_seconds())
    return record


def test_last_failure_and_permanent_failure_are_dead(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine, max_attempts=1))
    dead = machine.settle(run, Failed("boom"))
    assert dead is not None and dead.state is JobState.DEAD
    run = claimed(machine, new_job(machine, max_attempts=5))
    dead = machine.settle(run, Failed("no such wallet", permanent=True))
    assert dead is not None and (dead.state, dead.attempts) == (JobState.DEAD, 1)


def test_finished_and_unknown_jobs_are_settled(machine: JobMachine) -> None:
    run = claimed(machine, new_job(machine))
    done = machine.settle(run, Succeeded(None))
    assert machine.claim(run.id) == Settled(done)
    assert machine.claim(
        JobRecord.new("x", {}, dedup_key=None, max_attempts=1, now=T0).id
    ) == Settled(None)


def test_revive_only_dead_jobs(machine: JobMachine, clock: Clock) -> None:
    run = claimed(machine, new_job(machine, max_attempts=1))
    with pytest.raises(JobStateError, match="is running, not dead"):
        machine.revive(run.id)
    machine.settle(run, Failed("boom"))
    revived = machine.revive(run.id)
    assert (revived.state, revived.attempts, revived.last_error) == (JobState.QUEUED, 0, "boom")
    assert claimed(machine, revived).attempts == 1


def test_dedup(machine: JobMachine) -> None:
    a, created_a = machine.create("payout", {"n": 1}, dedup_key="t-1", max_attempts=3)
    b, created_b = machine.create("payout", {"n": 1}, dedup_key="t-1", max_attempts=3)
    assert (created_a, created_b, a) == (True, False, b)
    with pytest.raises(DedupConflictError, match="different payload"):
        machine.create("payout", {"n": 2}, dedup_key="t-1", max_attempts=3)
    with pytest.raises(DedupConflictError):
        machine.create("prove", {"n": 1}, dedup_key="t-1", max_attempts=3)


def test_unknown_job(machine: JobMachine) -> None:
    with pytest.raises(UnknownJobError, match="no job with id 'nope'"):
        machine.get("nope")  # type: ignore[arg-type]


def test_max_attempts_must_be_positive(machine: JobMachine) -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        machine.create("payout", {}, dedup_key=None, max_attempts=0)


def test_dedup_ignores_the_telemetry_carrier(machine: JobMachine) -> None:
    """A step re-enqueued from another trace (a resume after a restart) is the same job;
    with the carrier compared, the remittance agent could not restart mid-transfer."""
    from zkredit.jobs.hooks import CARRIER_KEY

    first, _ = machine.create("k", {"a": 1, CARRIER_KEY: {"traceparent": "00-aa-01"}},
                              dedup_key="d", max_attempts=3)
    again, created = machine.create("k", {"a": 1, CARRIER_KEY: {"traceparent": "00-bb-01"}},
                                    dedup_key="d", max_attempts=3)
    assert (again.id, created) == (first.id, False)
    plain, _ = machine.create("k", {"a": 1}, dedup_key="d", max_attempts=3)
    assert plain.id == first.id
    with pytest.raises(DedupConflictError, match="different payload"):
        machine.create("k", {"a": 2, CARRIER_KEY: {"traceparent": "00-aa-01"}},
                       dedup_key="d", max_attempts=3)
