"""Worker agent: identities, sealed vault items, loan applications, remittances.

Revision ID: worker_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime, json_type

revision: str = "worker_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("worker",)
depends_on: str | Sequence[str] | None = "0001_common"


def upgrade() -> None:
    op.create_table(
        "worker_identities",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("commitment", sa.String(80), nullable=False, unique=True),
        sa.Column("wallet", sa.String(42), nullable=False, unique=True),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_wallet_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "worker_vault_items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("identity_id", sa.String(64), sa.ForeignKey("worker_identities.id"),
                  nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "worker_loan_applications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("identity_id", sa.String(64), sa.ForeignKey("worker_identities.id"),
                  nullable=False),
        sa.Column("lender", sa.String(64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("remote_id", sa.String(64)),
        sa.Column("scope", sa.String(80)),
        sa.Column("proofs", json_type(nullable=True)),
        sa.Column("decision", json_type(nullable=True)),
        sa.Column("explanation", json_type(nullable=True)),
        sa.Column("loan", json_type(nullable=True)),
        sa.Column("payout", json_type(nullable=True)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "worker_remittances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("identity_id", sa.String(64), sa.ForeignKey("worker_identities.id"),
                  nullable=False),
        sa.Column("request", json_type(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("quote", json_type(nullable=True)),
        sa.Column("transfer_id", sa.String(64)),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("receipt", json_type(nullable=True)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("worker_remittances", "worker_loan_applications", "worker_vault_items",
                  "worker_identities"):
        op.drop_table(table)
