"""``Idempotency-Key`` bookkeeping: the first request with a key runs, repeats replay.

:meth:`IdempotencyStore.begin` claims a key with an insert that the primary key
makes atomic, so of two concurrent requests exactly one gets ``NEW``. The other
sees ``IN_PROGRESS`` until :meth:`IdempotencyStore.complete` stores the response,
then ``REPLAY``. The same key with a different route or body is a ``CONFLICT``
(the HTTP layer answers 409).

A claim is a lease, not a lock held forever: a process can die between
:meth:`~IdempotencyStore.begin` and :meth:`~IdempotencyStore.complete`. Once the
lease has run out, the next request with the same key and body takes the claim
over (``NEW`` again) instead of seeing ``IN_PROGRESS`` for ever. The caller must
therefore make the guarded work itself idempotent (find what an earlier holder
already created before creating it again), which is what it needs after a crash
anyway. ``created_at`` of an in-progress row is when its current lease began.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zkredit.store.columns import utcnow
from zkredit.store.db import Database
from zkredit.store.errors import IdempotencyError
from zkredit.store.models import IdempotencyRow

DEFAULT_LEASE = timedelta(seconds=30)
"""How long an unfinished claim is presumed alive. Longer than a request takes (the
database's 15 s busy timeout included), and short enough that a client retrying after
a crash still finds its 60 s quote valid."""


class Claim(StrEnum):
    """What the caller should do with a request carrying an idempotency key."""

    NEW = "new"
    """Run the request, then call :meth:`IdempotencyStore.complete`."""
    REPLAY = "replay"
    """Return the stored response."""
    CONFLICT = "conflict"
    """The key was used for a different request: answer 409."""
    IN_PROGRESS = "in_progress"
    """The same request is running elsewhere (its lease is live): answer 409, let the client
    retry."""


@dataclass(frozen=True)
class IdempotencyOutcome:
    """The answer of :meth:`IdempotencyStore.begin`; the response is set for ``REPLAY``."""

    claim: Claim
    status_code: int | None = None
    response_body: str | None = None


def request_hash(method: str, route: str, body: bytes) -> str:
    """A fingerprint of a request for :meth:`IdempotencyStore.begin` (sha256 hex)."""
    h = hashlib.sha256()
    for part in (method.upper().encode(), route.encode(), body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


class IdempotencyStore:
    """Idempotency keys of one party."""

    def __init__(
        self, db: Database, *, lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.lease = lease
        self.clock = clock

    def begin(self, key: str, route: str, request_hash: str) -> IdempotencyOutcome:
        """Claim ``key`` for this request, or say why the request must not run."""
        with self.db.session() as s:
            now = self.clock()
            if self._claim(s, key, route, request_hash, now):
                return IdempotencyOutcome(Claim.NEW)
            row = s.get(IdempotencyRow, key)
            if row is None:  # released between our insert and read: let the client retry
                return IdempotencyOutcome(Claim.IN_PROGRESS)
            if row.route != route or row.request_hash != request_hash:
                return IdempotencyOutcome(Claim.CONFLICT)
            if row.status_code is None:
                if self._take_over(s, key, now):
                    return IdempotencyOutcome(Claim.NEW)
                return IdempotencyOutcome(Claim.IN_PROGRESS)
            return IdempotencyOutcome(Claim.REPLAY, row.status_code, row.response_body)

    def _take_over(self, s: Session, key: str, now: datetime) -> bool:
        """Renew an expired, unfinished claim for this caller; of concurrent callers one wins.

        The update re-checks expiry in its WHERE clause, so a second caller (serialised
        behind the first by the row lock) finds the lease fresh and updates nothing.
        """
        renewed = s.execute(
            update(IdempotencyRow)
            .where(IdempotencyRow.key == key, IdempotencyRow.status_code.is_(None),
                   IdempotencyRow.created_at < now - self.lease)
            .values(created_at=now)
        )
        return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def _claim(self, s: Session, key: str, route: str, request_hash: str,
               now: datetime) -> bool:
        values = {"key": key, "route": route, "request_hash": request_hash, "created_at": now}
        dialect = postgresql if self.db.dialect == "postgresql" else sqlite
        statement = (
            dialect.insert(IdempotencyRow)
            .values(values)
            .on_conflict_do_nothing()
            .returning(IdempotencyRow.key)
        )
        return s.execute(statement).scalar_one_or_none() is not None

    def complete(self, key: str, status_code: int, response_body: str) -> None:
        """Store the response of the request that claimed ``key``."""
        with self.db.session() as s:
            done = s.execute(
                update(IdempotencyRow)
                .where(IdempotencyRow.key == key, IdempotencyRow.status_code.is_(None))
                .values(status_code=status_code, response_body=response_body,
                        completed_at=self.clock())
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise IdempotencyError(
                    f"idempotency key {key!r} is not in progress (never begun, or completed)",
                    hint="Call begin() first and complete() once per NEW claim.",
                )

    def release(self, key: str) -> None:
        """Drop an in-progress claim (the request failed before any effect), so a retry runs."""
        with self.db.session() as s:
            s.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.key == key, IdempotencyRow.status_code.is_(None)
                )
            )

    def purge(self, before: datetime) -> int:
        """Delete completed keys created before ``before``; return how many."""
        with self.db.session() as s:
            result = s.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.created_at < before, IdempotencyRow.status_code.is_not(None)
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
