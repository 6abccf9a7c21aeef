"""Tables every party has: audit log and anchors, ledger, idempotency keys, jobs.

Revision ID: 0001_common
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime, id_type, json_type

revision: str = "0001_common"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("common",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(66), nullable=False),
        sa.Column("entry_hash", sa.String(66), nullable=False),
        sa.Column("signature", sa.String(132), nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_log_prev_hash")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_log_entry_hash")),
    )
    op.create_table(
        "audit_anchors",
        sa.Column("seq", id_type(), autoincrement=True, nullable=False),
        sa.Column("head_hash", sa.String(66), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("anchored_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_reference"), "ledger_entries", ["reference"], unique=False
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", id_type(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(128), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("side", sa.String(6), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.CheckConstraint("side IN ('debit', 'credit')", name=op.f("ck_ledger_postings_side")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_ledger_postings_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_postings_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index(
        op.f("ix_ledger_postings_account_currency"),
        "ledger_postings",
        ["account", "currency"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_postings_entry_id"), "ledger_postings", ["entry_id"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("route", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=True),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="5", nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", json_type(nullable=True), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'dead')",
            name=op.f("ck_jobs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_jobs_dedup_key")),
    )
    op.create_index(
        op.f("ix_jobs_status_next_run_at"), "jobs", ["status", "next_run_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_status_next_run_at"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_ledger_postings_entry_id"), table_name="ledger_postings")
    op.drop_index(op.f("ix_ledger_postings_account_currency"), table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_index(op.f("ix_ledger_entries_reference"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("audit_anchors")
    op.drop_table("audit_log")
