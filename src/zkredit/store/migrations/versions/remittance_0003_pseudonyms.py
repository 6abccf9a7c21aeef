"""Remittance agent: limits per sender pseudonym; identity proofs spent by digest.

The identity proof's scope is now derived from the provider (review F-1), so its
nullifier is the sender's stable pseudonym with this provider: the same on every
transfer, whatever wallet. Rolling limits sum over it (``sender_pseudonym``), and a
replayed proof is recognised by its digest instead (``remittance_identity_proofs``).
The per-quote nullifiers of ``remittance_nullifiers`` identify nothing any more, and
every quote carries the same scope.

Revision ID: remittance_0003
Revises: remittance_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zkredit.store.columns import UTCDateTime

revision: str = "remittance_0003"
down_revision: str | Sequence[str] | None = "remittance_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remittance_quotes") as batch:  # one scope for every quote
        batch.drop_constraint("uq_remittance_quotes_scope", type_="unique")
    with op.batch_alter_table("remittance_transfers") as batch:
        batch.add_column(sa.Column("sender_pseudonym", sa.String(80), nullable=True))
    op.create_index(
        op.f("ix_remittance_transfers_sender_pseudonym_funded_at"),
        "remittance_transfers",
        ["sender_pseudonym", "funded_at"],
        unique=False,
    )
    op.create_table(
        "remittance_identity_proofs",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["remittance_transfers.id"],
            name=op.f("fk_remittance_identity_proofs_transfer_id_remittance_transfers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_remittance_identity_proofs")),
    )
    op.drop_table("remittance_nullifiers")


def downgrade() -> None:
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
    op.drop_table("remittance_identity_proofs")
    op.drop_index(op.f("ix_remittance_transfers_sender_pseudonym_funded_at"),
                  table_name="remittance_transfers")
    with op.batch_alter_table("remittance_transfers") as batch:
        batch.drop_column("sender_pseudonym")
    with op.batch_alter_table("remittance_quotes") as batch:
        batch.create_unique_constraint("uq_remittance_quotes_scope", ["scope"])
