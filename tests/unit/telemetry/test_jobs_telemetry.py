"""A job carries its producer's trace and correlation id, and counts into its agent's metrics."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.unit.telemetry.support import value
from zkredit.jobs import hooks
from zkredit.jobs.errors import PermanentJobError
from zkredit.jobs.inprocess import InProcessQueue
from zkredit.telemetry import context, jobs, metrics, tracing


@pytest.fixture
def queue() -> Iterator[InProcessQueue]:
    jobs.install()
    q = InProcessQueue(workers=1, time_scale=0.001)
    q.owner = f"q{uuid.uuid4().hex[:8]}"
    q.start()
    yield q
    q.stop(timeout=5)
    jobs.uninstall()


def test_the_handler_never_sees_the_carrier_and_runs_in_the_producers_trace(
    queue: InProcessQueue, spans: InMemorySpanExporter
) -> None:
    seen: list[dict[str, Any]] = []

    def handler(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append({"payload": payload, "cid": context.correlation_id(),
                     "agent": metrics.current_agent()})
        with tracing.span("inside"):
            pass
        return {}

    queue.register("t.echo", handler)
    with context.correlated("corr-1"), tracing.span("producer") as producer:
        job = queue.enqueue("t.echo", {"n": 1})
    assert queue.wait(job, timeout=30).result == {}
    assert seen == [{"payload": {"n": 1}, "cid": "corr-1", "agent": queue.owner}]
    by_name = {s.name: s for s in spans.get_finished_spans()}
    trace_id = producer.get_span_context().trace_id
    assert by_name["job t.echo"].context.trace_id == trace_id
    assert by_name["inside"].parent is not None
    assert by_name["inside"].parent.span_id == by_name["job t.echo"].context.span_id


def test_attempts_and_dead_letters_are_counted_for_the_queues_agent(
    queue: InProcessQueue,
) -> None:
    calls = {"n": 0}

    def flaky(payload: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")

    def broken(payload: dict[str, Any]) -> None:
        raise PermanentJobError("never")

    queue.register("t.flaky", flaky, max_attempts=3)
    queue.register("t.broken", broken)
    queue.wait(queue.enqueue("t.flaky", {}), timeout=30)
    queue.wait(queue.enqueue("t.broken", {}), timeout=30)
    registry = metrics.for_agent(str(queue.owner)).registry
    assert value(registry, "zkredit_jobs_total", kind="t.flaky", outcome="failed") == 1
    assert value(registry, "zkredit_jobs_total", kind="t.flaky", outcome="succeeded") == 1
    assert value(registry, "zkredit_jobs_total", kind="t.broken", outcome="dead") == 1
    assert value(registry, "zkredit_job_duration_seconds_count", kind="t.flaky") == 2


def test_without_hooks_a_payload_is_stored_as_given() -> None:
    hooks.install(None)
    assert hooks.attach({"a": 1}, "credit") == {"a": 1}
    jobs.install()
    try:
        with context.correlated("c-9"):
            carried = hooks.attach({"a": 1}, "credit")
    finally:
        jobs.uninstall()
    assert carried == {"a": 1, hooks.CARRIER_KEY: {"agent": "credit", "correlation_id": "c-9"}}
    assert hooks.detach(carried) == ({"a": 1}, {"agent": "credit", "correlation_id": "c-9"})


def test_a_prover_process_serves_its_job_and_proof_metrics_on_its_port() -> None:
    import httpx

    from zkredit.agents.launcher import free_port
    from zkredit.telemetry import serve_process_metrics

    port = free_port()
    served = serve_process_metrics(port, host="127.0.0.1")
    assert served is not None
    server, thread = served
    try:
        jobs.install()
        q = InProcessQueue(workers=1)
        q.register("worker.prove", lambda payload: {"proof": "..."})
        q.start()
        try:
            carried = hooks.attach({"circuit": "income"}, "worker")  # as the agent enqueued it
            job = q.machine.create("worker.prove", carried, dedup_key=None, max_attempts=3)[0]
            q._deliver(job, None)
            q.wait(job.id, timeout=30)
        finally:
            q.stop(timeout=5)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        metrics.pin_process_metrics(False)
        jobs.uninstall()
    assert value(text, "zkredit_jobs_total", kind="worker.prove", outcome="succeeded") == 1
    assert "zk_circuit_integrity_status" in text and "process_cpu_seconds_total" in text
