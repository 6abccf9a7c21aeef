"""Queries of the receiver agent, inside a caller's unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zkredit.agents.receiver.models import DisputeRow, PayoutRow


class ReceiverRepository:
    """The receiver's rows, read and written through one session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add_payout(self, row: PayoutRow) -> None:
        self.s.add(row)
        self.s.flush()

    def payout(self, payout_id: str) -> PayoutRow | None:
        return self.s.get(PayoutRow, payout_id)

    def payout_for_transfer(self, transfer_id: str) -> PayoutRow | None:
        return self.s.scalars(select(PayoutRow).where(PayoutRow.transfer_id == transfer_id)).first()

    def add_dispute(self, row: DisputeRow) -> None:
        self.s.add(row)
        self.s.flush()

    def dispute(self, dispute_id: str) -> DisputeRow | None:
        return self.s.get(DisputeRow, dispute_id)

    def refunded_dispute_ids(self) -> list[str]:
        """Every dispute resolved as refunded, oldest first."""
        return list(self.s.scalars(
            select(DisputeRow.id).where(DisputeRow.state == "refunded")
            .order_by(DisputeRow.created_at, DisputeRow.id)
        ))

    def open_dispute_of(self, payout_id: str) -> DisputeRow | None:
        return self.s.scalars(
            select(DisputeRow).where(DisputeRow.payout_id == payout_id, DisputeRow.state == "open")
        ).first()
