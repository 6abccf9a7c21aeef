"""A job as stored, and the compare-and-set vocabulary stores implement.

Stores are deliberately dumb: they insert, read and apply a :class:`Change`
only if the row still matches an :class:`Expect`. Every rule (who may claim a
job, when it is retried, when it dies) lives in :mod:`zkredit.jobs.machine`, so
the in-memory, SQL and Redis stores cannot disagree about semantics.

The fencing token is ``attempts``: claiming increments it, and every later
write of that attempt expects it unchanged, so a worker that lost its lease
(it stalled, or was presumed dead) can no longer overwrite the job.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from zkredit.jobs.api import JobId, JobState, JobStatus, JsonObject
from zkredit.jobs.errors import JobPayloadError


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> JobId:
    return JobId(uuid.uuid4().hex)


def ensure_json_object(value: object, what: str) -> JsonObject:
    """Return a JSON round-tripped copy of ``value``; refuse anything but a JSON object."""
    if not isinstance(value, dict):
        raise JobPayloadError(f"{what} must be a JSON object (dict), got {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise JobPayloadError(
            f"{what} is not JSON-serialisable: {exc}",
            hint="Pass only str, int, float, bool, None, lists and dicts with string keys.",
        ) from exc
    copy: JsonObject = json.loads(text)
    return copy


@dataclass(frozen=True)
class JobRecord:
    """One row of the ``jobs`` table (see :mod:`zkredit.jobs.table`)."""

    id: JobId
    kind: str
    dedup_key: str | None
    payload: JsonObject
    state: JobState
    attempts: int
    max_attempts: int
    next_run_at: datetime  # when queued/failed: due time; when running: lease expiry
    last_error: str | None
    result: JsonObject | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def new(
        cls,
        kind: str,
        payload: JsonObject,
        *,
        dedup_key: str | None,
        max_attempts: int,
        now: datetime,
    ) -> JobRecord:
        return cls(
            id=new_job_id(),
            kind=kind,
            dedup_key=dedup_key,
            payload=payload,
            state=JobState.QUEUED,
            attempts=0,
            max_attempts=max_attempts,
            next_run_at=now,
            last_error=None,
            result=None,
            created_at=now,
            updated_at=now,
        )

    def status(self) -> JobStatus:
        return JobStatus(
            id=self.id,
            kind=self.kind,
            state=self.state,
            attempts=self.attempts,
            max_attempts=self.max_attempts,
            last_error=self.last_error,
            result=self.result,
            dedup_key=self.dedup_key,
            next_run_at=self.next_run_at,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


@dataclass(frozen=True)
class Expect:
    """The row must be in ``state`` with ``attempts``, and (if ``due_by``) due by then."""

    state: JobState
    attempts: int
    due_by: datetime | None = None

    def matches(self, record: JobRecord) -> bool:
        return (
            record.state is self.state
            and record.attempts == self.attempts
            and (self.due_by is None or record.next_run_at <= self.due_by)
        )


@dataclass(frozen=True)
class Change:
    """New values; ``None`` leaves a column unchanged (no transition needs to clear one)."""

    updated_at: datetime
    state: JobState | None = None
    attempts: int | None = None
    next_run_at: datetime | None = None
    last_error: str | None = None
    result: JsonObject | None = None

    def columns(self) -> dict[str, Any]:
        """The changed columns, by their table names."""
        cols: dict[str, Any] = {"updated_at": self.updated_at}
        if self.state is not None:
            cols["status"] = self.state.value
        for name in ("attempts", "next_run_at", "last_error", "result"):
            value = getattr(self, name)
            if value is not None:
                cols[name] = value
        return cols

    def apply(self, record: JobRecord) -> JobRecord:
        return replace(
            record,
            updated_at=self.updated_at,
            state=self.state if self.state is not None else record.state,
            attempts=self.attempts if self.attempts is not None else record.attempts,
            next_run_at=self.next_run_at if self.next_run_at is not None else record.next_run_at,
            last_error=self.last_error if self.last_error is not None else record.last_error,
            result=self.result if self.result is not None else record.result,
        )
