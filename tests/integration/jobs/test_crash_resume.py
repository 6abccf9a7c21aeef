"""Crash and resume: SIGKILL the process running a job mid-work; after a restart the
loan's proof or the transfer's payout completes, and its effect exists exactly once.

Both kinds record a "started" marker, work for ``WORK_S`` seconds, then write
their effect idempotently (see ``crash_tasks``). The test kills the worker
as soon as the first attempt has started, so the kill always lands mid-work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.jobs import crash_tasks
from tests.integration.jobs.inprocess_runner import LEASE_S, open_store
from zkredit.jobs import InProcessQueue, JobQueue, JobState, RedisJobQueue, RedisQueueOptions
from zkredit.jobs.api import JobId

WORK_S = 1.0
START_TIMEOUT_S = 30.0
RESUME_TIMEOUT_S = 30.0

# Crash-redelivery settings for the Redis worker (see docs/decisions/0005-job-queue.md).
REDIS_WORKER_FLAGS = [
    "--processes=1",
    "--threads=1",
    "--heartbeat-timeout-ms=1500",
    "--maintenance-chance=1000000",
    "--worker-timeout-ms=100",
    "--lease-s=1.5",
    "--log-level=warning",
]


class Process:
    """A child process in its own session, so the whole group can be killed at once."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the process and its children: no shutdown code runs."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def child_env(markers: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env["ZKREDIT_TEST_MARKERS"] = str(markers)
    return env


def wait_for(condition: Callable[[], bool], timeout: float, what: str, proc: Process) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}; log:\n{proc.tail()}"
            )
        if proc.popen.poll() is not None:
            raise AssertionError(
                f"process exited ({proc.popen.returncode}) before {what}:\n{proc.tail()}"
            )
        time.sleep(0.01)


def crash_and_resume(
    queue: JobQueue, kind: str, tmp_path: Path, start: Callable[[int], Process]
) -> tuple[JobId, float]:
    """Enqueue, kill the first worker mid-attempt, start another; return job and redelivery time."""
    db, markers = tmp_path / "effects.sqlite", tmp_path / "markers.log"
    crash_tasks.init_effects(db)
    key = f"{kind}-loan-42"
    payload = {"db": str(db), "markers": str(markers), "key": key, "work_s": WORK_S}
    job = queue.enqueue(kind, payload, dedup_key=f"{kind}:loan-42")

    first = start(1)
    try:
        started = lambda: len(crash_tasks.markers(markers, "started")) >= 1  # noqa: E731
        wait_for(started, START_TIMEOUT_S, "the first attempt to start", first)
    finally:
        first.kill()
    killed_at = time.time()
    assert queue.status(job).state is JobState.RUNNING  # the dead attempt still holds the job

    second = start(2)
    try:
        final = queue.wait(job, RESUME_TIMEOUT_S)
    except Exception as exc:
        raise AssertionError(f"{exc}\nsecond worker log:\n{second.tail()}") from exc
    finally:
        second.stop()

    runs = crash_tasks.markers(markers, "started")
    assert [r[3] for r in runs] == ["1", "2"], runs  # attempt numbers
    assert runs[0][4] != runs[1][4], "the second attempt ran in the new process"
    assert (final.state, final.attempts) == (JobState.DONE, 2)
    assert final.last_error == "attempt 1 was lost (its worker stopped renewing the lease)"
    assert final.result is not None and final.result["attempt"] == 2
    assert crash_tasks.count(db, "effects", key) == 1
    assert crash_tasks.count(db, "ledger", key) == 1
    assert queue.enqueue(kind, payload, dedup_key=f"{kind}:loan-42") == job  # no second job
    if kind == "prove":  # keys warmed once in each worker process, before its job
        warm_pids = [w[1] for w in crash_tasks.markers(markers, "warm")]
        assert warm_pids == [runs[0][4], runs[1][4]]
        assert final.result["proving_key"] == f"key-loaded-by-{runs[1][4]}"
    return job, float(runs[1][5]) - killed_at


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["prove", "payout"])
def test_redis_worker_killed_mid_job_completes_exactly_once(
    kind: str, tmp_path: Path, redis_url: str, namespace: str
) -> None:
    producer = RedisJobQueue(redis_url, RedisQueueOptions(namespace=namespace))
    crash_tasks.setup(producer)
    env = child_env(tmp_path / "markers.log")

    def start(n: int) -> Process:
        args = [
            sys.executable,
            "-m",
            "zkredit.jobs.worker",
            "tests.integration.jobs.crash_tasks:setup",
        ]
        args += [f"--redis-url={redis_url}", f"--namespace={namespace}", *REDIS_WORKER_FLAGS]
        return Process(args, env, tmp_path / f"worker{n}.log")

    try:
        _, redelivery_s = crash_and_resume(producer, kind, tmp_path, start)
    finally:
        producer.stop()
    assert redelivery_s < 10, f"the job took {redelivery_s:.1f} s to be redelivered"


@pytest.mark.parametrize("kind", ["prove", "payout"])
def test_inprocess_executor_killed_mid_job_resumes_from_its_store(
    kind: str, tmp_path: Path
) -> None:
    jobs_db = tmp_path / "jobs.sqlite"
    producer = InProcessQueue(open_store(str(jobs_db)))  # never started: enqueues and watches
    crash_tasks.setup(producer)
    env = child_env(tmp_path / "markers.log")

    def start(n: int) -> Process:
        args = [sys.executable, "-m", "tests.integration.jobs.inprocess_runner", str(jobs_db)]
        return Process(args, env, tmp_path / f"runner{n}.log")

    _, resumed_s = crash_and_resume(producer, kind, tmp_path, start)
    assert resumed_s < LEASE_S + 10, f"the job took {resumed_s:.1f} s to resume"
