"""Credit agent: the application scope is derived from the lender, so it is shared.

Every application to this lender now carries the scope ``ZKCreditVerifier.loanScope``
derives from the lender's agent id (review F-1), so ``credit_applications.scope`` is
no longer unique. One person's applications meet in ``credit_nullifiers``: the
nullifier is their pseudonym with this lender.

Revision ID: credit_0003
Revises: credit_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "credit_0003"
down_revision: str | Sequence[str] | None = "credit_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_applications") as batch:
        batch.drop_constraint("uq_credit_applications_scope", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("credit_applications") as batch:
        batch.create_unique_constraint("uq_credit_applications_scope", ["scope"])
