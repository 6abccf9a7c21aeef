"""Credit agent: repayments with their amount and payment reference.

Revision ID: credit_0002
Revises: credit_0001
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime

revision: str = "credit_0002"
down_revision: str | Sequence[str] | None = "credit_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_repayments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("loan_id", sa.String(64), nullable=False, index=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("loan_id", "reference"),
    )


def downgrade() -> None:
    op.drop_table("credit_repayments")
