"""The shared test suite every job queue runs (web3.py-style).

A queue's test module subclasses :class:`JobQueueSuite` and supplies the
``make_queue`` fixture: a factory of un-started queues whose handlers run in
this process, with retry delays scaled by ``time_scale``. The fixture owns
stopping them. Every test here must pass for every queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import pytest

from zkredit.jobs import (
    DedupConflictError,
    JobPayloadError,
    JobState,
    JobStateError,
    JobStatus,
    JobWaitTimeout,
    JsonObject,
    PermanentJobError,
    UnknownJobError,
    UnknownJobKindError,
    current_job,
)
from zkredit.jobs.api import WEBHOOK_QUEUE, JobId
from zkredit.jobs.core import StoreQueue

WAIT_S = 10.0  # generous bound; a passing test takes milliseconds


class MakeQueue(Protocol):
    def __call__(self, *, time_scale: float = 0.001, lease_s: float = 1.0) -> StoreQueue: ...


class Calls:
    """A thread-safe call counter for handlers."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self.n += 1
            return self.n


def failing(times: int, calls: Calls) -> Callable[[JsonObject], JsonObject]:
    def handler(payload: JsonObject) -> JsonObject:
        n = calls.bump()
        if n <= times:
            raise RuntimeError(f"transient failure {n}")
        return {"calls": n}

    return handler


class JobQueueSuite:
    @pytest.fixture
    def make_queue(self) -> MakeQueue:
        raise NotImplementedError("subclasses supply the queue under test")

    def test_success_records_result(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("double", lambda p: {"value": p["x"] * 2})
        q.start()
        job = q.enqueue("double", {"x": 21})
        status = q.wait(job, WAIT_S)
        assert (status.state, status.attempts, status.result) == (JobState.DONE, 1, {"value": 42})
        assert status.last_error is None
        assert q.dead_letters() == []

    def test_stuck_webhook_deliveries_do_not_hold_up_other_jobs(
        self, make_queue: MakeQueue
    ) -> None:
        """Issue 9: deliveries shared the money flows' threads; three hung receivers
        (more than the pool's threads) stopped every payout until they timed out."""
        q = make_queue()
        release = threading.Event()
        started = Calls()

        def hung_receiver(payload: JsonObject) -> JsonObject:
            started.bump()
            release.wait(WAIT_S * 3)
            return {}

        q.register("deliver", hung_receiver, queue=WEBHOOK_QUEUE)
        q.register("payout", lambda p: {"paid": p["n"]})
        q.start()
        try:
            hung = [q.enqueue("deliver", {"n": i}) for i in range(3)]
            deadline = time.monotonic() + WAIT_S
            while started.n < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert started.n >= 1, "no delivery started"
            payout = q.wait(q.enqueue("payout", {"n": 7}), WAIT_S)
            assert (payout.state, payout.result) == (JobState.DONE, {"paid": 7})
            assert started.n == 1, "deliveries ran on more threads than their queue's own"
        finally:
            release.set()
        for job in hung:
            assert q.wait(job, WAIT_S).state == JobState.DONE

    def test_none_result_is_success(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("noop", lambda p: None)
        q.start()
        status = q.wait(q.enqueue("noop", {}), WAIT_S)
        assert (status.state, status.result) == (JobState.DONE, None)

    def test_retries_then_succeeds(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        q.register("flaky", failing(2, calls), max_attempts=5)
        q.start()
        status = q.wait(q.enqueue("flaky", {}), WAIT_S)
        assert (status.state, status.attempts, status.result) == (JobState.DONE, 3, {"calls": 3})
        assert status.last_error == "RuntimeError: transient failure 2"
        assert calls.n == 3

    def test_exhausted_attempts_become_a_dead_letter(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        q.register("broken", failing(99, calls), max_attempts=3)
        q.start()
        job = q.enqueue("broken", {"loan": "L-1"})
        status = q.wait(job, WAIT_S)
        assert (status.state, status.attempts) == (JobState.DEAD, 3)
        assert status.last_error == "RuntimeError: transient failure 3"
        assert calls.n == 3
        assert [d.id for d in q.dead_letters()] == [job]

    def test_permanent_error_goes_straight_to_dead(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()

        def refuse(payload: JsonObject) -> None:
            calls.bump()
            raise PermanentJobError("recipient wallet is on the deny list")

        q.register("refuse", refuse, max_attempts=5)
        q.start()
        status = q.wait(q.enqueue("refuse", {}), WAIT_S)
        assert (status.state, status.attempts, calls.n) == (JobState.DEAD, 1, 1)
        assert status.last_error == "PermanentJobError: recipient wallet is on the deny list"

    def test_retry_dead_runs_again_with_a_fresh_budget(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        q.register("broken", failing(2, calls), max_attempts=2)
        q.register("fine", lambda p: None)
        q.start()
        job = q.enqueue("broken", {})
        assert q.wait(job, WAIT_S).state is JobState.DEAD
        fine = q.enqueue("fine", {})
        q.wait(fine, WAIT_S)
        with pytest.raises(JobStateError, match="is done, not dead"):
            q.retry_dead(fine)
        revived = q.retry_dead(job)
        assert (revived.state, revived.attempts) == (JobState.QUEUED, 0)
        status = q.wait(job, WAIT_S)
        assert (status.state, status.attempts, status.result) == (JobState.DONE, 1, {"calls": 3})
        assert job not in [d.id for d in q.dead_letters()]

    def test_dedup_key_names_one_job_run_once(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        release = threading.Event()

        def payout(payload: JsonObject) -> JsonObject:
            calls.bump()
            release.wait(WAIT_S)
            return {"paid": payload["amount"]}

        q.register("payout", payout)
        q.start()
        ids: list[JobId] = []

        def submit() -> None:
            ids.append(q.enqueue("payout", {"amount": 500}, dedup_key="transfer-7"))

        threads = [threading.Thread(target=submit) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        release.set()
        assert len(set(ids)) == 1
        assert q.wait(ids[0], WAIT_S).state is JobState.DONE
        again = q.enqueue("payout", {"amount": 500}, dedup_key="transfer-7")
        assert again == ids[0]
        time.sleep(0.1)  # a second execution would have started by now
        assert calls.n == 1

    def test_dedup_key_reused_for_another_payload_is_refused(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("payout", lambda p: None)
        q.enqueue("payout", {"amount": 500}, dedup_key="transfer-8")
        with pytest.raises(DedupConflictError, match="transfer-8"):
            q.enqueue("payout", {"amount": 501}, dedup_key="transfer-8")

    # -- F08: work stranded behind a dead job is resumed --------------------------------

    def test_ensure_revives_the_dead_job_its_dedup_key_names(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        q.register("step", failing(2, calls), max_attempts=2)
        q.start()
        job = q.enqueue("step", {"transfer": "T-1"}, dedup_key="advance:T-1:sent")
        assert q.wait(job, WAIT_S).state is JobState.DEAD
        # A plain re-enqueue returns the dead job and runs nothing (what stranded transfers):
        assert q.enqueue("step", {"transfer": "T-1"}, dedup_key="advance:T-1:sent") == job
        assert q.status(job).state is JobState.DEAD

        again = q.ensure("step", {"transfer": "T-1"}, dedup_key="advance:T-1:sent")

        assert again == job
        status = q.wait(job, WAIT_S)
        assert (status.state, status.result) == (JobState.DONE, {"calls": 3})

    def test_ensure_leaves_a_live_or_done_job_alone(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        calls = Calls()
        q.register("step", failing(0, calls))
        q.start()
        job = q.ensure("step", {}, dedup_key="k")
        assert q.wait(job, WAIT_S).state is JobState.DONE
        assert q.ensure("step", {}, dedup_key="k") == job
        time.sleep(0.1)
        assert calls.n == 1

    def test_revive_finds_a_dead_job_by_dedup_key_and_creates_nothing(
        self, make_queue: MakeQueue
    ) -> None:
        q = make_queue()
        calls = Calls()
        q.register("accept", failing(1, calls), max_attempts=1)
        q.start()
        assert q.revive("loan-accept:never-asked") is None
        job = q.enqueue("accept", {"application_id": "A-1"}, dedup_key="loan-accept:A-1")
        assert q.wait(job, WAIT_S).state is JobState.DEAD

        revived = q.revive("loan-accept:A-1")

        assert revived is not None and revived.id == job
        assert q.wait(job, WAIT_S).state is JobState.DONE

    def test_status_transitions(self, make_queue: MakeQueue) -> None:
        # time_scale 0.3: the 1 s backoff after attempt 1 lasts 0.27-0.33 s, long enough
        # to observe "failed".
        q = make_queue(time_scale=0.3)
        calls = Calls()
        entered = threading.Event()
        release = threading.Event()

        def step(payload: JsonObject) -> JsonObject:
            n = calls.bump()
            if n == 1:
                raise RuntimeError("first attempt fails")
            entered.set()
            release.wait(WAIT_S)
            return {"n": n}

        q.register("step", step, max_attempts=3)
        job = q.enqueue("step", {})
        queued = q.status(job)
        assert (queued.state, queued.attempts, queued.result) == (JobState.QUEUED, 0, None)
        q.start()
        failed = _poll(q, job, lambda s: s.state is JobState.FAILED)
        assert failed.attempts == 1
        assert failed.last_error == "RuntimeError: first attempt fails"
        assert failed.next_run_at > failed.updated_at + timedelta(seconds=0.2)
        assert entered.wait(WAIT_S)
        running = q.status(job)
        assert (running.state, running.attempts) == (JobState.RUNNING, 2)
        release.set()
        done = q.wait(job, WAIT_S)
        assert (done.state, done.attempts, done.result) == (JobState.DONE, 2, {"n": 2})

    def test_handler_sees_its_job(self, make_queue: MakeQueue) -> None:
        q = make_queue()

        def whoami(payload: JsonObject) -> JsonObject:
            ctx = current_job()
            return {
                "job": ctx.job_id,
                "kind": ctx.kind,
                "attempt": ctx.attempt,
                "key": ctx.dedup_key,
            }

        q.register("whoami", whoami)
        q.start()
        job = q.enqueue("whoami", {}, dedup_key="k-1")
        result = q.wait(job, WAIT_S).result
        assert result == {"job": job, "kind": "whoami", "attempt": 1, "key": "k-1"}

    def test_overrunning_attempt_times_out(self, make_queue: MakeQueue) -> None:
        q = make_queue(lease_s=0.3)
        done = threading.Event()

        def slow(payload: JsonObject) -> None:
            for _ in range(100):  # short sleeps: an async interrupt can land between them
                if done.is_set():
                    return
                time.sleep(0.01)

        q.register("slow", slow, max_attempts=1, timeout_s=0.2)
        q.start()
        status = q.wait(q.enqueue("slow", {}), WAIT_S)
        done.set()
        assert (status.state, status.attempts) == (JobState.DEAD, 1)
        assert status.last_error is not None
        assert "time" in status.last_error.lower()

    def test_non_json_result_is_a_permanent_failure(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("odd", lambda p: {"when": object()}, max_attempts=3)
        q.start()
        status = q.wait(q.enqueue("odd", {}), WAIT_S)
        assert (status.state, status.attempts) == (JobState.DEAD, 1)
        assert "not JSON-serialisable" in (status.last_error or "")

    def test_payload_must_be_a_json_object(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("payout", lambda p: None)
        with pytest.raises(JobPayloadError, match="must be a JSON object"):
            q.enqueue("payout", [1, 2])  # type: ignore[arg-type]
        with pytest.raises(JobPayloadError, match="not JSON-serialisable"):
            q.enqueue("payout", {"amount": {1, 2}})

    def test_unknown_kind_suggests_the_registered_one(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("payout", lambda p: None)
        with pytest.raises(UnknownJobKindError) as err:
            q.enqueue("payuot", {})
        assert err.value.hint == "Did you mean 'payout'?"

    def test_unknown_job_id(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        with pytest.raises(UnknownJobError, match="no job with id 'nope'"):
            q.status(JobId("nope"))

    def test_wait_timeout_says_where_the_job_is(self, make_queue: MakeQueue) -> None:
        q = make_queue()
        q.register("payout", lambda p: None)  # never started: stays queued
        job = q.enqueue("payout", {})
        with pytest.raises(JobWaitTimeout, match=r"still queued after 0\.05 s \(attempt 0/5"):
            q.wait(job, 0.05)


def _poll(
    q: StoreQueue, job: JobId, ok: Callable[[JobStatus], bool], timeout: float = WAIT_S
) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = q.status(job)
        if ok(status):
            return status
        time.sleep(0.005)
    raise AssertionError(f"job {job} never reached the expected state: {q.status(job)}")
