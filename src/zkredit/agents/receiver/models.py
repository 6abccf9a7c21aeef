"""The receiver agent's tables (Alembic branch ``receiver``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zkredit.store.columns import UTCDateTime, json_type, utcnow
from zkredit.store.models import Base

PARTY = "receiver"
_INFO = {"party": PARTY}
PAYOUT_STATUSES = ("pending", "paid_out", "failed")
DISPUTE_STATES = ("open", "resolved", "refunded")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PayoutRow(Base):
    """One payout, at most one per transfer; ``pending`` until the rail answers."""

    __tablename__ = "receiver_payouts"
    __table_args__ = (
        CheckConstraint(_in("status", PAYOUT_STATUSES), name="status"),
        {"info": _INFO},
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    route: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[Any] = mapped_column(json_type())
    institution: Mapped[str | None] = mapped_column(String(128))
    rail: Mapped[str | None] = mapped_column(String(64))
    confirmation: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    travel_rule_ciphertext: Mapped[str | None] = mapped_column(Text)
    travel_rule_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DisputeRow(Base):
    """A dispute on a paid-out payout: ``open`` until resolved or refunded."""

    __tablename__ = "receiver_disputes"
    __table_args__ = (CheckConstraint(_in("state", DISPUTE_STATES), name="state"), {"info": _INFO})

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payout_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("receiver_payouts.id", ondelete="RESTRICT"), index=True
    )
    transfer_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
