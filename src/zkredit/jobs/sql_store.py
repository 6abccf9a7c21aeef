"""A :class:`JobStore` on a SQL table (SQLite by default, PostgreSQL in production).

Each operation is its own short transaction. The compare-and-set is one
``UPDATE ... WHERE id = ? AND status = ? AND attempts = ? [AND next_run_at <= ?]``
whose row count says who won, which is atomic on every SQL database without
explicit locks; dedup rides on the unique index on ``dedup_key``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Engine, RowMapping, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from zkredit.jobs.api import JobId, JobState
from zkredit.jobs.record import Change, Expect, JobRecord
from zkredit.jobs.store import ACTIVE_STATES

_ACTIVE = [s.value for s in ACTIVE_STATES]


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _row_to_record(row: RowMapping) -> JobRecord:
    return JobRecord(
        id=JobId(row["id"]),
        kind=row["kind"],
        dedup_key=row["dedup_key"],
        payload=dict(row["payload"]),
        state=JobState(row["status"]),
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        next_run_at=_aware(row["next_run_at"]),
        last_error=row["last_error"],
        result=None if row["result"] is None else dict(row["result"]),
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
    )


class SqlJobStore:
    """Jobs in ``table`` (see :func:`zkredit.jobs.table.jobs_table`) behind ``engine``."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def create_table(self) -> None:
        """Create the table if missing (tests and the embedded default; production migrates)."""
        self.table.create(self.engine, checkfirst=True)

    def insert(self, record: JobRecord) -> JobRecord:
        t = self.table
        values = {
            "id": record.id,
            "kind": record.kind,
            "dedup_key": record.dedup_key,
            "payload": record.payload,
            "status": record.state.value,
            "attempts": record.attempts,
            "max_attempts": record.max_attempts,
            "next_run_at": record.next_run_at,
            "last_error": record.last_error,
            "result": record.result,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t).values(**values))
            return record
        except IntegrityError:
            if record.dedup_key is None:
                raise
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.dedup_key == record.dedup_key)).mappings().one()
        return _row_to_record(row)

    def get(self, job_id: JobId) -> JobRecord | None:
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == job_id)).mappings().one_or_none()
        return None if row is None else _row_to_record(row)

    def find(self, dedup_key: str) -> JobRecord | None:
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t).where(t.c.dedup_key == dedup_key)
            ).mappings().one_or_none()
        return None if row is None else _row_to_record(row)

    def cas(self, job_id: JobId, expect: Expect, change: Change) -> bool:
        t = self.table
        stmt = (
            update(t)
            .where(t.c.id == job_id)
            .where(t.c.status == expect.state.value)
            .where(t.c.attempts == expect.attempts)
            .values(**change.columns())
        )
        if expect.due_by is not None:
            stmt = stmt.where(t.c.next_run_at <= expect.due_by)
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def dead(self, limit: int) -> list[JobRecord]:
        t = self.table
        stmt = (
            select(t).where(t.c.status == JobState.DEAD.value).order_by(t.c.updated_at).limit(limit)
        )
        with self.engine.connect() as conn:
            return [_row_to_record(r) for r in conn.execute(stmt).mappings()]

    def due(self, now: datetime, kinds: Collection[str], limit: int) -> list[JobId]:
        t = self.table
        stmt = (
            select(t.c.id)
            .where(t.c.status.in_(_ACTIVE))
            .where(t.c.kind.in_(list(kinds)))
            .where(t.c.next_run_at <= now)
            .order_by(t.c.next_run_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [JobId(i) for i in conn.execute(stmt).scalars()]

    def next_due_at(self, kinds: Collection[str]) -> datetime | None:
        t = self.table
        stmt = (
            select(func.min(t.c.next_run_at))
            .where(t.c.status.in_(_ACTIVE))
            .where(t.c.kind.in_(list(kinds)))
        )
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return None if value is None else _aware(value)

    def counts(self) -> dict[JobState, int]:
        """How many jobs are in each state (the queue-depth gauge reads this)."""
        t = self.table
        stmt = select(t.c.status, func.count()).group_by(t.c.status)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = dict.fromkeys(JobState, 0)
        for status, n in rows:
            out[JobState(status)] = int(n)
        return out
