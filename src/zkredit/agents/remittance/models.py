"""The remittance agent's tables (Alembic branch ``remittance``).

Every table carries ``info={"party": "remittance"}`` so that schema comparisons of
another party's database can leave them out (see ``docs/decisions/0004-storage.md``).
Quotes keep their exact rates as ``numerator/denominator`` text so that a stored
quote is the same :class:`~zkredit.domain.quote.Quote` it was when it was priced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zkredit.domain.remittance import TransferState
from zkredit.store.columns import UTCDateTime, id_type, json_type, utcnow
from zkredit.store.models import Base

PARTY = "remittance"
_INFO = {"party": PARTY}
STATE_CHECK = "state IN (" + ", ".join(f"'{s.value}'" for s in TransferState) + ")"
KIND_CHECK = "kind IN ('remittance', 'disbursement')"
PAYIN_STATUSES = ("pending", "collected", "failed", "returned", "cancelled")
PAYIN_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in PAYIN_STATUSES) + ")"


class QuoteRow(Base):
    """A priced transfer offered to a sender, with the scope its identity proof must use."""

    __tablename__ = "remittance_quotes"
    __table_args__ = ({"info": _INFO},)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))  # derived from this provider: shared
    requested_by: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(32))
    send_currency: Mapped[str] = mapped_column(String(3))
    sent_minor: Mapped[int] = mapped_column(BigInteger)
    receive_currency: Mapped[str] = mapped_column(String(3))
    received_minor: Mapped[int] = mapped_column(BigInteger)
    fee_flat_minor: Mapped[int] = mapped_column(BigInteger)
    fee_pct_bps: Mapped[int] = mapped_column(Integer)
    fee_percentage_minor: Mapped[int] = mapped_column(BigInteger)
    markup_bps: Mapped[int] = mapped_column(Integer)
    mid_rate: Mapped[str] = mapped_column(String(255))
    customer_rate: Mapped[str] = mapped_column(String(255))
    rate_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    eta_seconds: Mapped[int] = mapped_column(Integer)
    fx_cost_minor: Mapped[int] = mapped_column(BigInteger)
    total_cost_bps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransferRow(Base):
    """A remittance or a loan disbursement, and where it is in its life."""

    __tablename__ = "remittance_transfers"
    __table_args__ = (
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint(KIND_CHECK, name="kind"),
        Index(None, "sender_wallet", "funded_at"),
        Index(None, "sender_pseudonym", "funded_at"),
        {"info": _INFO},
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(20))
    quote_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("remittance_quotes.id", ondelete="RESTRICT"), unique=True
    )
    loan_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    sender_wallet: Mapped[str | None] = mapped_column(String(42))
    sender_pseudonym: Mapped[str | None] = mapped_column(String(80))
    """The identity proof's nullifier: the sender's stable pseudonym with this provider."""
    route: Mapped[str] = mapped_column(String(32))
    send_currency: Mapped[str] = mapped_column(String(3))
    sent_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    receive_currency: Mapped[str] = mapped_column(String(3))
    received_minor: Mapped[int] = mapped_column(BigInteger)
    recipient: Mapped[Any] = mapped_column(json_type())
    purpose: Mapped[str | None] = mapped_column(String(64))
    travel_rule: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    identity_proof: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    kyc_level: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[Any] = mapped_column(json_type())
    payout_id: Mapped[str | None] = mapped_column(String(64))
    payout_confirmation: Mapped[str | None] = mapped_column(String(128))
    settlement_tx: Mapped[str | None] = mapped_column(String(66))
    receipt: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    payin_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The payment reference the funding rail collects the transfer's total under."""
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransferEventRow(Base):
    """One state change of a transfer; ``audited`` once it is in the audit log."""

    __tablename__ = "remittance_transfer_events"
    __table_args__ = ({"info": _INFO},)

    id: Mapped[int] = mapped_column(id_type(), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("remittance_transfers.id", ondelete="RESTRICT"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    audited: Mapped[bool] = mapped_column(Boolean, default=False)


class IdentityProofRow(Base):
    """An identity proof already spent (by digest): the same proof cannot fund twice."""

    __tablename__ = "remittance_identity_proofs"
    __table_args__ = ({"info": _INFO},)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("remittance_transfers.id", ondelete="RESTRICT")
    )
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookRow(Base):
    """A subscriber to transfer state changes (all transfers, or one)."""

    __tablename__ = "remittance_webhooks"
    __table_args__ = ({"info": _INFO},)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SettlementRow(Base):
    """An on-chain settlement of a transfer, journalled before its transaction is broadcast.

    A crash between the broadcast and the transfer's completion leaves this row, so
    the next attempt resends the same signed transaction rather than paying again.
    """

    __tablename__ = "remittance_settlements"
    __table_args__ = ({"info": _INFO},)

    transfer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    raw_tx: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxPayInRow(Base):
    """The sandbox funding rail's own record of a pay-in (a real rail keeps it at the PSP).

    See :class:`zkredit.agents.remittance.funding.SandboxFundingRail`. The reference
    is the key, so a pay-in is opened once however often it is asked for.
    """

    __tablename__ = "remittance_sandbox_payins"
    __table_args__ = (
        CheckConstraint(PAYIN_CHECK, name="status"),
        {"info": _INFO},
    )

    reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(40))
    payer: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    expected_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    collected_minor: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
