"""Receiver agent: payouts and disputes.

Revision ID: receiver_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime, json_type

revision: str = "receiver_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("receiver",)
depends_on: str | Sequence[str] | None = "0001_common"


def upgrade() -> None:
    op.create_table(
        "receiver_payouts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("recipient", json_type(), nullable=False),
        sa.Column("institution", sa.String(128), nullable=True),
        sa.Column("rail", sa.String(64), nullable=True),
        sa.Column("confirmation", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("travel_rule_ciphertext", sa.Text(), nullable=True),
        sa.Column("travel_rule_verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid_out', 'failed')", name=op.f("ck_receiver_payouts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receiver_payouts")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_receiver_payouts_transfer_id")),
    )
    op.create_table(
        "receiver_disputes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("payout_id", sa.String(40), nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'resolved', 'refunded')", name=op.f("ck_receiver_disputes_state")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["receiver_payouts.id"],
            name=op.f("fk_receiver_disputes_payout_id_receiver_payouts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receiver_disputes")),
    )
    op.create_index(
        op.f("ix_receiver_disputes_payout_id"), "receiver_disputes", ["payout_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_receiver_disputes_payout_id"), table_name="receiver_disputes")
    op.drop_table("receiver_disputes")
    op.drop_table("receiver_payouts")
