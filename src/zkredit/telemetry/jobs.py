"""The job hooks telemetry installs (see :mod:`zkredit.jobs.hooks`).

A job carries its queue's agent, the producer's correlation id and trace
context; each attempt runs as a span of that trace, records into that agent's
metrics (``zkredit_jobs_total``, ``zkredit_job_duration_seconds``) and logs with
that correlation id.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from zkredit.jobs import hooks
from zkredit.telemetry import context, metrics, tracing

_AGENT = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class TelemetryJobHooks:
    def capture(self, owner: str | None) -> dict[str, Any] | None:
        carrier: dict[str, Any] = {}
        agent = owner or metrics.current_agent()
        if agent:
            carrier["agent"] = agent
        cid = context.correlation_id()
        if cid:
            carrier["correlation_id"] = cid
        tracing.inject(carrier)
        return carrier or None

    @contextmanager
    def attempt(self, kind: str, attempt: int, carrier: dict[str, Any] | None) -> Iterator[None]:
        carrier = carrier or {}
        target = _target(carrier)
        started = time.perf_counter()
        with metrics.scoped(target), context.correlated(carrier.get("correlation_id")):
            parent = tracing.extract(carrier)
            spanned = (tracing.span(f"job {kind}", {"zkredit.job.kind": kind,
                                                    "zkredit.job.attempt": attempt},
                                    parent=parent)
                       if tracing.active() else nullcontext())
            with spanned:
                try:
                    yield
                except BaseException:
                    target.job_attempt(kind, "failed", time.perf_counter() - started)
                    raise
                target.job_attempt(kind, "succeeded", time.perf_counter() - started)

    def dead(self, kind: str, carrier: dict[str, Any] | None) -> None:
        _target(carrier or {}).job_attempt(kind, "dead", None)


def _target(carrier: dict[str, Any]) -> metrics.AgentMetrics:
    agent = carrier.get("agent")
    if isinstance(agent, str) and _AGENT.match(agent):
        return metrics.for_agent(agent)
    return metrics.current()


_installed = TelemetryJobHooks()


def install() -> None:
    hooks.install(_installed)


def uninstall() -> None:
    hooks.install(None)
