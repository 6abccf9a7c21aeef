"""Remittance agent: funding is a collection (review F14).

A transfer is funded only when the funding rail has collected its total under a
payment reference (``remittance_transfers.payin_reference``). A collection that
fails, or collects another amount, leaves the transfer ``unfunded`` (a new terminal
state). The sandbox funding rail keeps its own durable record of every pay-in in
``remittance_sandbox_payins``.

Revision ID: remittance_0004
Revises: remittance_0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime

revision: str = "remittance_0004"
down_revision: str | Sequence[str] | None = "remittance_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("quoted", "expired", "funded", "held", "compliance_passed", "sent", "paid_out",
           "completed", "failed", "refunded")
_AFTER = ("quoted", "expired", "unfunded", "funded", "held", "compliance_passed", "sent",
          "paid_out", "completed", "failed", "refunded")
_PAYIN_STATUSES = ("pending", "collected", "failed", "returned", "cancelled")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _states(values: Sequence[str]) -> None:
    with op.batch_alter_table("remittance_transfers") as batch:
        batch.drop_constraint(op.f("ck_remittance_transfers_state"), type_="check")
        batch.create_check_constraint(op.f("ck_remittance_transfers_state"), _in("state", values))


def upgrade() -> None:
    with op.batch_alter_table("remittance_transfers") as batch:
        batch.add_column(sa.Column("payin_reference", sa.String(64), nullable=True))
        batch.create_unique_constraint(op.f("uq_remittance_transfers_payin_reference"),
                                       ["payin_reference"])
    _states(_AFTER)
    op.create_table(
        "remittance_sandbox_payins",
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=False),
        sa.Column("payer", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("collected_minor", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("status", _PAYIN_STATUSES),
                           name=op.f("ck_remittance_sandbox_payins_status")),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_remittance_sandbox_payins")),
    )


def downgrade() -> None:
    op.drop_table("remittance_sandbox_payins")
    op.execute("UPDATE remittance_transfers SET state = 'expired' WHERE state = 'unfunded'")
    _states(_BEFORE)
    with op.batch_alter_table("remittance_transfers") as batch:
        batch.drop_constraint(op.f("uq_remittance_transfers_payin_reference"), type_="unique")
        batch.drop_column("payin_reference")
