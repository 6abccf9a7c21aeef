"""The tables every party has, as SQLAlchemy 2 typed declarative models.

Models name no schema. On PostgreSQL each party's engine carries
``schema_translate_map={None: <party schema>}``, so the same classes address the
worker's, the credit agent's or the receiver's tables, never two at once.

Agent-specific tables subclass the same :class:`Base` and arrive in their own
Alembic branch (see ``docs/decisions/0004-storage.md``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zkredit.store.columns import UTCDateTime, id_type, json_type, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JOB_STATUSES = ("queued", "running", "done", "failed", "dead")
SIDES = ("debit", "credit")


class Base(DeclarativeBase):
    """The one declarative base; its metadata is Alembic's ``target_metadata``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AuditRow(Base):
    """One entry of the party's hash-chained, signed audit log."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed byte for byte
    prev_hash: Mapped[str] = mapped_column(String(66), unique=True)  # unique: no fork
    entry_hash: Mapped[str] = mapped_column(String(66), unique=True)
    signature: Mapped[str] = mapped_column(String(132))
    signer: Mapped[str] = mapped_column(String(42))


class AnchorRow(Base):
    """A head of the audit log that was written on chain."""

    __tablename__ = "audit_anchors"

    seq: Mapped[int] = mapped_column(id_type(), primary_key=True)
    head_hash: Mapped[str] = mapped_column(String(66))
    entry_count: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    anchored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntryRow(Base):
    """A journal entry's header; its lines are :class:`LedgerPostingRow`."""

    __tablename__ = "ledger_entries"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    memo: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerPostingRow(Base):
    """One posting: a positive amount on one side of one account."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("side IN ('debit', 'credit')", name="side"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index(None, "account", "currency"),
    )

    id: Mapped[int] = mapped_column(id_type(), primary_key=True)
    entry_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("ledger_entries.id", ondelete="RESTRICT"), index=True
    )
    account: Mapped[str] = mapped_column(String(255))
    side: Mapped[str] = mapped_column(String(6))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class IdempotencyRow(Base):
    """A request claimed under an ``Idempotency-Key``, and its response once complete."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    route: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(128))
    status_code: Mapped[int | None] = mapped_column(Integer)  # NULL while in progress
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _job_id() -> str:
    return uuid.uuid4().hex


class JobRow(Base):
    """A unit of background work (proving, anchoring, payouts) and its outcome."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in JOB_STATUSES) + ")", name="status"
        ),
        Index(None, "status", "next_run_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=_job_id)
    kind: Mapped[str] = mapped_column(String(128))
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    payload: Mapped[Any] = mapped_column(json_type())
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
