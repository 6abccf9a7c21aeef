"""Every agent's dead-letter routes: ``GET /jobs/dead`` and ``POST /jobs/{job_id}/retry``.

A job is a dead letter when it used all its attempts or failed permanently. These
routes are the operator's (the role table in :mod:`zkredit.agents.common.access`
says so), and they act on the agent's own queue, the one its workers run, whatever
backs it (the database or Redis). The web dashboard's dead-letter view calls them
with the operator's token; ``zkredit jobs`` does the same work from a shell. A retry
is written to the agent's audit log under the operator's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from zkredit.agents.common.auth import principal_of
from zkredit.errors import ZKreditError
from zkredit.jobs.api import JobId, JobQueue, JobStatus
from zkredit.jobs.errors import JobStateError, UnknownJobError

MAX_DEAD = 200
ERROR_CHARS = 500
"""A dead job's last error is cut to this: enough to act on, bounded in size."""


class NoSuchDeadJob(ZKreditError, LookupError):
    http_status = 404


class NotDead(ZKreditError):
    http_status = 409


def dead_json(job: JobStatus) -> dict[str, Any]:
    return {"id": str(job.id), "kind": job.kind, "state": job.state.value,
            "attempts": job.attempts, "max_attempts": job.max_attempts,
            "died_at": job.updated_at.isoformat(timespec="seconds"),
            "last_error": (job.last_error or "")[:ERROR_CHARS]}


def dead_letter_router(party: str, jobs: JobQueue, record: Any = None) -> APIRouter:
    """The two routes over ``jobs``; ``record(kind, payload)`` audits a retry."""
    r = APIRouter(tags=["ops"])

    @r.get("/jobs/dead")
    async def dead(limit: Annotated[int, Query(ge=1, le=MAX_DEAD)] = 50) -> dict[str, Any]:
        """The dead-letter jobs, oldest death first."""
        letters = await run_in_threadpool(jobs.dead_letters, limit)
        return {"party": party, "jobs": [dead_json(j) for j in letters]}

    @r.post("/jobs/{job_id}/retry")
    async def retry(request: Request, job_id: str) -> dict[str, Any]:
        """Requeue one dead job with a fresh attempt budget; its agent's workers run it."""
        try:
            job = await run_in_threadpool(jobs.retry_dead, JobId(job_id))
        except UnknownJobError:
            raise NoSuchDeadJob(f"{party} has no job {job_id!r}",
                                hint="GET /jobs/dead lists the dead jobs.") from None
        except JobStateError as exc:
            raise NotDead(exc.message, hint=exc.hint) from None
        if record is not None:
            caller = principal_of(request)
            await run_in_threadpool(record, "jobs.retried", {
                "job_id": str(job.id), "kind": job.kind,
                "by": caller.subject if caller else "unknown"})
        return dead_json(job)

    return r
