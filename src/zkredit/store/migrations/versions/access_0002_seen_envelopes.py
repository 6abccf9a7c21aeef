"""Access control: envelope ids each agent delivered (replay protection).

Revision ID: access_0002
Revises: access_0001
Create Date: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime

revision: str = "access_0002"
down_revision: str | Sequence[str] | None = "access_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_seen_envelopes",
        sa.Column("recipient", sa.String(32), primary_key=True),
        sa.Column("envelope_id", sa.String(80), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("access_seen_envelopes")
