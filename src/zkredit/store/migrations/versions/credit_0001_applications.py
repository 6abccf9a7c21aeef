"""Credit agent: applications, accepted nullifiers, loans.

Revision ID: credit_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime, json_type

revision: str = "credit_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("credit",)
depends_on: str | Sequence[str] | None = "0001_common"


def upgrade() -> None:
    op.create_table(
        "credit_applications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("worker_ref", sa.String(64), nullable=False),
        sa.Column("wallet", sa.String(42), nullable=False),
        sa.Column("scope", sa.String(80), nullable=False, unique=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("today", sa.String(10), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("public_signals", json_type(nullable=True)),
        sa.Column("decision", json_type(nullable=True)),
        sa.Column("attestation", json_type(nullable=True)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("requester", "worker_ref"),
    )
    op.create_table(
        "credit_nullifiers",
        sa.Column("nullifier", sa.String(80), primary_key=True),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "credit_loans",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("application_id", sa.String(64), nullable=False, unique=True),
        sa.Column("offer_id", sa.String(64), nullable=False, unique=True),
        sa.Column("wallet", sa.String(42), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("apr_bps", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("schedule", json_type(), nullable=False),
        sa.Column("acceptance_signature", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("disbursement", json_type(nullable=True)),
        sa.Column("repaid_installments", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("credit_loans", "credit_nullifiers", "credit_applications"):
        op.drop_table(table)
