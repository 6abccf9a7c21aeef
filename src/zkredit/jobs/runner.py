"""Running one attempt of a handler and turning what happened into an :data:`Outcome`."""

from __future__ import annotations

import logging

from zkredit.jobs import hooks
from zkredit.jobs.api import JobContext, JobSpec, running
from zkredit.jobs.errors import JobPayloadError, PermanentJobError
from zkredit.jobs.machine import Failed, Outcome, Succeeded
from zkredit.jobs.record import JobRecord, ensure_json_object

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 2000


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


def retry_after(exc: BaseException) -> float | None:
    """The exception's ``retry_after_s`` (a cap on the backoff before the next attempt)."""
    value = getattr(exc, "retry_after_s", None)
    return float(value) if isinstance(value, int | float) and value >= 0 else None


def run_attempt(
    spec: JobSpec,
    record: JobRecord,
    *,
    interrupts: tuple[type[BaseException], ...] = (),
) -> Outcome:
    """Call ``spec.handler`` on a copy of the payload with :func:`current_job` set.

    ``interrupts`` are BaseExceptions the executor raises into a handler thread
    (dramatiq's time limit); they count as retryable failures.
    """
    ctx = JobContext(
        job_id=record.id, kind=record.kind, attempt=record.attempts, dedup_key=record.dedup_key
    )
    payload, carrier = hooks.detach(record.payload)
    try:
        with running(ctx), hooks.current().attempt(record.kind, record.attempts, carrier):
            result = spec.handler(payload)
    except PermanentJobError as exc:
        log.warning("job %s (%s) failed permanently: %s", record.id, record.kind, exc)
        return Failed(describe(exc), permanent=True)
    except Exception as exc:
        log.warning(
            "job %s (%s) attempt %d/%d failed",
            record.id,
            record.kind,
            record.attempts,
            record.max_attempts,
            exc_info=True,
        )
        return Failed(describe(exc), retry_after_s=retry_after(exc))
    except interrupts as exc:
        return Failed(f"{describe(exc)} (time limit {spec.timeout_s} s)")
    if result is None:
        return Succeeded(None)
    try:
        return Succeeded(ensure_json_object(result, f"the result of a {record.kind!r} job"))
    except JobPayloadError as exc:
        return Failed(describe(exc), permanent=True)
