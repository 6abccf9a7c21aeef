"""Errors of the job queue, rooted in :class:`zkredit.errors.ZKreditError`."""

from __future__ import annotations

from zkredit.errors import InputError, ZKreditError


class JobError(ZKreditError):
    """Root of the job queue's errors."""


class PermanentJobError(JobError):
    """Raised by a handler when retrying cannot help; the job goes straight to the dead letters."""


class UnknownJobError(JobError, KeyError):
    """Raised when a job id is not in the store."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class UnknownJobKindError(JobError, KeyError):
    """Raised when a job kind has no registered handler."""

    def __str__(self) -> str:
        return self.message


class JobPayloadError(InputError):
    """Raised when a payload or a result is not a JSON object."""


class DedupConflictError(JobError, ValueError):
    """Raised when a dedup key is reused for a different kind or payload."""


class JobStateError(JobError, ValueError):
    """Raised when an operation does not apply to the job's state (e.g. retrying a live job)."""


class JobWaitTimeout(JobError, TimeoutError):
    """Raised when :meth:`JobQueue.wait` gives up before the job finished."""
