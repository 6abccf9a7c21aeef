"""Choosing a queue, and the worker entry point's command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from zkredit.jobs import (
    InProcessQueue,
    JobQueue,
    MemoryJobStore,
    RedisJobQueue,
    SqlJobStore,
    build_queue,
)
from zkredit.jobs.worker import load_setup, main, parse_args


def sample_setup(queue: JobQueue) -> None:
    queue.register("payout", lambda p: None)


def test_no_redis_url_means_in_process_in_memory() -> None:
    q = build_queue(None)
    assert isinstance(q, InProcessQueue) and isinstance(q.jobs, MemoryJobStore)


def test_no_redis_url_with_a_database_persists_jobs(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    q = build_queue("", engine=engine)
    assert isinstance(q, InProcessQueue) and isinstance(q.jobs, SqlJobStore)
    assert "jobs" in inspect(engine).get_table_names()


def test_redis_url_means_redis() -> None:
    q = build_queue("redis://127.0.0.1:6399/0", namespace="zk-x")  # nothing connects yet
    assert isinstance(q, RedisJobQueue)
    assert q.options.namespace == "zk-x" and q.options.worker_threads == 0
    q.stop()


def test_worker_needs_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(SystemExit) as exit_:
        parse_args(["mod:setup"])
    assert exit_.value.code == 2
    assert "no Redis: pass --redis-url or set REDIS_URL" in capsys.readouterr().err


def test_worker_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    config, processes = parse_args(
        ["m:f", "--processes=3", "--threads=2", "--queues", "prove", "default", "--lease-s=5"]
    )
    assert processes == 3
    assert config.redis_url == "redis://cache:6379/2"
    assert config.options.worker_threads == 2
    assert config.options.queues == frozenset({"prove", "default"})
    assert config.options.lease_s == 5.0
    assert config.options.heartbeat_timeout_ms == 15_000


def test_load_setup() -> None:
    setup = load_setup("tests.unit.jobs.test_factory_and_worker:sample_setup")
    q = InProcessQueue()
    setup(q)
    assert q.kinds == ["payout"]
    with pytest.raises(ValueError, match=r"must look like 'package\.module:function'"):
        load_setup("tests.unit.jobs.test_factory_and_worker")
    with pytest.raises(AttributeError):
        load_setup("tests.unit.jobs.test_factory_and_worker:missing")


def test_worker_refuses_a_bad_setup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no_such_module_zz:setup", "--redis-url=redis://127.0.0.1:6399/0"]) == 2
    assert "Error: cannot load no_such_module_zz:setup" in capsys.readouterr().err
