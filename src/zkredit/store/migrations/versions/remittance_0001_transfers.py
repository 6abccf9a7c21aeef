"""Remittance agent: quotes, transfers, their events, spent nullifiers, webhooks.

Revision ID: remittance_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime, id_type, json_type

revision: str = "remittance_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("remittance",)
depends_on: str | Sequence[str] | None = "0001_common"

_STATES = (
    "quoted",
    "expired",
    "funded",
    "held",
    "compliance_passed",
    "sent",
    "paid_out",
    "completed",
    "failed",
    "refunded",
)


def upgrade() -> None:
    op.create_table(
        "remittance_quotes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("send_currency", sa.String(3), nullable=False),
        sa.Column("sent_minor", sa.BigInteger(), nullable=False),
        sa.Column("receive_currency", sa.String(3), nullable=False),
        sa.Column("received_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_flat_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_pct_bps", sa.Integer(), nullable=False),
        sa.Column("fee_percentage_minor", sa.BigInteger(), nullable=False),
        sa.Column("markup_bps", sa.Integer(), nullable=False),
        sa.Column("mid_rate", sa.String(255), nullable=False),
        sa.Column("customer_rate", sa.String(255), nullable=False),
        sa.Column("rate_as_of", UTCDateTime(), nullable=False),
        sa.Column("eta_seconds", sa.Integer(), nullable=False),
        sa.Column("fx_cost_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_cost_bps", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_quotes")),
        sa.UniqueConstraint("scope", name=op.f("uq_remittance_quotes_scope")),
    )
    op.create_table(
        "remittance_transfers",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("quote_id", sa.String(40), nullable=True),
        sa.Column("loan_id", sa.String(128), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("sender_wallet", sa.String(42), nullable=True),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("send_currency", sa.String(3), nullable=False),
        sa.Column("sent_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("receive_currency", sa.String(3), nullable=False),
        sa.Column("received_minor", sa.BigInteger(), nullable=False),
        sa.Column("recipient", json_type(), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("travel_rule", json_type(nullable=True), nullable=True),
        sa.Column("identity_proof", json_type(nullable=True), nullable=True),
        sa.Column("kyc_level", sa.Integer(), nullable=True),
        sa.Column("reasons", json_type(), nullable=False),
        sa.Column("payout_id", sa.String(64), nullable=True),
        sa.Column("payout_confirmation", sa.String(128), nullable=True),
        sa.Column("settlement_tx", sa.String(66), nullable=True),
        sa.Column("receipt", json_type(nullable=True), nullable=True),
        sa.Column("funded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in _STATES) + ")",
            name=op.f("ck_remittance_transfers_state"),
        ),
        sa.CheckConstraint(
            "kind IN ('remittance', 'disbursement')", name=op.f("ck_remittance_transfers_kind")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["remittance_quotes.id"],
            name=op.f("fk_remittance_transfers_quote_id_remittance_quotes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_transfers")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_remittance_transfers_quote_id")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_remittance_transfers_loan_id")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_remittance_transfers_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_remittance_transfers_sender_wallet_funded_at"),
        "remittance_transfers",
        ["sender_wallet", "funded_at"],
        unique=False,
    )
    op.create_table(
        "remittance_transfer_events",
        sa.Column("id", id_type(), autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("audited", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["remittance_transfers.id"],
            name=op.f("fk_remittance_transfer_events_transfer_id_remittance_transfers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_transfer_events")),
    )
    op.create_index(
        op.f("ix_remittance_transfer_events_transfer_id"),
        "remittance_transfer_events",
        ["transfer_id"],
        unique=False,
    )
    op.create_table(
        "remittance_nullifiers",
        sa.Column("nullifier", sa.String(80), nullable=False),
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["remittance_transfers.id"],
            name=op.f("fk_remittance_nullifiers_transfer_id_remittance_transfers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("nullifier", name=op.f("pk_remittance_nullifiers")),
    )
    op.create_table(
        "remittance_webhooks",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(255), nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("remittance_webhooks")
    op.drop_table("remittance_nullifiers")
    op.drop_index(
        op.f("ix_remittance_transfer_events_transfer_id"), table_name="remittance_transfer_events"
    )
    op.drop_table("remittance_transfer_events")
    op.drop_index(
        op.f("ix_remittance_transfers_sender_wallet_funded_at"),
        table_name="remittance_transfers",
    )
    op.drop_table("remittance_transfers")
    op.drop_table("remittance_quotes")
