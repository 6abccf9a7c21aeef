"""The shared test suite every job store runs: insert with dedup, CAS, dead letters.

Times are whole milliseconds because the Redis store keeps epoch milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zkredit.jobs import JobState, JobStore, PollableJobStore
from zkredit.jobs.record import Change, Expect, JobRecord

T0 = datetime(2026, 11, 25, 9, 0, 0, 123000, tzinfo=UTC)


def record(kind: str = "payout", dedup_key: str | None = None, **payload: object) -> JobRecord:
    return JobRecord.new(kind, dict(payload), dedup_key=dedup_key, max_attempts=3, now=T0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class JobStoreSuite:
    @pytest.fixture
    def store(self) -> JobStore:
        raise NotImplementedError("subclasses supply the store under test")

    def test_insert_then_get_round_trips(self, store: JobStore) -> None:
        rec = record(amount=500, route={"rail": "mpesa", "fees": [1, 2]})
        assert store.insert(rec) == rec
        assert store.get(rec.id) == rec

    def test_get_unknown_is_none(self, store: JobStore) -> None:
        assert store.get(record().id) is None

    def test_dedup_key_keeps_the_first_job(self, store: JobStore) -> None:
        first = store.insert(record(dedup_key="loan-1", n=1))
        second = record(dedup_key="loan-1", n=2)
        assert store.insert(second) == first
        assert store.get(second.id) is None

    def test_find_returns_the_job_a_dedup_key_names(self, store: JobStore) -> None:
        first = store.insert(record(dedup_key="advance:T-1:sent", n=1))
        store.insert(record(dedup_key="advance:T-1:sent", n=2))
        assert store.find("advance:T-1:sent") == first
        assert store.find("advance:T-1:paid_out") is None

    def test_jobs_without_dedup_key_are_all_kept(self, store: JobStore) -> None:
        a, b = store.insert(record()), store.insert(record())
        assert a.id != b.id
        assert store.get(a.id) == a
        assert store.get(b.id) == b

    def test_cas_applies_when_expectation_holds(self, store: JobStore) -> None:
        rec = store.insert(record())
        change = Change(updated_at=at(1), state=JobState.RUNNING, attempts=1, next_run_at=at(31))
        assert store.cas(rec.id, Expect(JobState.QUEUED, 0, due_by=at(1)), change)
        assert store.get(rec.id) == change.apply(rec)

    @pytest.mark.parametrize(
        "expect",
        [
            Expect(JobState.FAILED, 0),  # wrong state
            Expect(JobState.QUEUED, 1),  # wrong attempt (the fence)
            Expect(JobState.QUEUED, 0, due_by=at(-1)),  # not due yet
        ],
    )
    def test_cas_refuses_when_expectation_fails(self, store: JobStore, expect: Expect) -> None:
        rec = store.insert(record())
        assert not store.cas(rec.id, expect, Change(updated_at=at(1), state=JobState.RUNNING))
        assert store.get(rec.id) == rec

    def test_cas_on_unknown_job_refuses(self, store: JobStore) -> None:
        rec = record()
        assert not store.cas(rec.id, Expect(JobState.QUEUED, 0), Change(updated_at=at(1)))

    def test_cas_keeps_unchanged_columns_and_writes_results(self, store: JobStore) -> None:
        rec = store.insert(record())
        store.cas(rec.id, Expect(JobState.QUEUED, 0), Change(updated_at=at(1), last_error="x"))
        store.cas(
            rec.id,
            Expect(JobState.QUEUED, 0),
            Change(updated_at=at(2), state=JobState.DONE, result={"tx": "0xab"}),
        )
        got = store.get(rec.id)
        assert got is not None
        assert (got.state, got.last_error, got.result) == (JobState.DONE, "x", {"tx": "0xab"})
        assert (got.payload, got.created_at, got.updated_at) == (rec.payload, T0, at(2))

    def test_dead_letters_in_order_of_death_and_revival_removes(self, store: JobStore) -> None:
        a, b, c = (store.insert(record(n=i)) for i in range(3))
        for rec, when in ((b, 1), (a, 2)):
            dead = Change(updated_at=at(when), state=JobState.DEAD, last_error="gave up")
            assert store.cas(rec.id, Expect(JobState.QUEUED, 0), dead)
        assert [r.id for r in store.dead(10)] == [b.id, a.id]
        assert [r.id for r in store.dead(1)] == [b.id]
        revive = Change(updated_at=at(3), state=JobState.QUEUED, attempts=0, next_run_at=at(3))
        assert store.cas(b.id, Expect(JobState.DEAD, 0), revive)
        assert [r.id for r in store.dead(10)] == [a.id]
        assert c.id not in [r.id for r in store.dead(10)]


class PollableJobStoreSuite(JobStoreSuite):
    @pytest.fixture
    def store(self) -> PollableJobStore:
        raise NotImplementedError("subclasses supply the store under test")

    def test_due_lists_active_jobs_of_the_kinds_by_due_time(self, store: PollableJobStore) -> None:
        later, sooner, other_kind, finished = (
            store.insert(record()),
            store.insert(record()),
            store.insert(record(kind="prove")),
            store.insert(record()),
        )
        store.cas(later.id, Expect(JobState.QUEUED, 0), Change(updated_at=T0, next_run_at=at(5)))
        store.cas(sooner.id, Expect(JobState.QUEUED, 0), Change(updated_at=T0, next_run_at=at(2)))
        store.cas(
            finished.id, Expect(JobState.QUEUED, 0), Change(updated_at=T0, state=JobState.DONE)
        )
        assert store.due(at(1), ["payout"], 10) == []
        assert store.due(at(10), ["payout"], 10) == [sooner.id, later.id]
        assert store.due(at(10), ["payout"], 1) == [sooner.id]
        assert store.due(at(10), ["prove"], 10) == [other_kind.id]
        assert store.next_due_at(["payout"]) == at(2)
        assert store.next_due_at(["prove"]) == T0
        assert store.next_due_at(["audit"]) is None

    def test_running_job_is_due_when_its_lease_expires(self, store: PollableJobStore) -> None:
        rec = store.insert(record())
        running = Change(updated_at=T0, state=JobState.RUNNING, attempts=1, next_run_at=at(30))
        store.cas(rec.id, Expect(JobState.QUEUED, 0), running)
        assert store.due(at(29), ["payout"], 10) == []
        assert store.due(at(30), ["payout"], 10) == [rec.id]
