"""The ``jobs`` table, in SQLAlchemy Core.

Its columns are the ones ``zkredit.store`` declares for its own ``jobs`` table
(id, kind, dedup_key unique, payload JSON, status, attempts, max_attempts,
next_run_at, last_error, result JSON, created_at, updated_at), so the two can
be merged into one definition and one Alembic migration. Times are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)


def jobs_table(metadata: MetaData, name: str = "jobs") -> Table:
    """Declare the jobs table on ``metadata`` (a fresh ``name`` per test if needed)."""
    return Table(
        name,
        metadata,
        Column("id", String(32), primary_key=True),
        Column("kind", String(100), nullable=False),
        Column("dedup_key", String(200), nullable=True, unique=True),
        Column("payload", JSON, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("max_attempts", Integer, nullable=False),
        # queued/failed: when the next attempt is due; running: when its lease expires.
        Column("next_run_at", DateTime(timezone=True), nullable=False),
        Column("last_error", Text, nullable=True),
        Column("result", JSON, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_{name}_status_next_run_at", "status", "next_run_at"),
    )


metadata = MetaData()
jobs = jobs_table(metadata)
