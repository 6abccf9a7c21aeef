"""Worker agent: remittances keep their identity proof between proving and sending.

Revision ID: worker_0002
Revises: worker_0001
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import json_type

revision: str = "worker_0002"
down_revision: str | Sequence[str] | None = "worker_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("worker_remittances") as batch:
        batch.add_column(sa.Column("proofs", json_type(nullable=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker_remittances") as batch:
        batch.drop_column("proofs")
