"""Worker-side tables. Private values exist only inside sealed vault blobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zkredit.store.columns import UTCDateTime, json_type, utcnow
from zkredit.store.models import Base


class IdentityRow(Base):
    """A worker identity: public commitment and wallet; secret and key sealed."""

    __tablename__ = "worker_identities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(128))
    commitment: Mapped[str] = mapped_column(String(80), unique=True)
    wallet: Mapped[str] = mapped_column(String(42), unique=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_wallet_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VaultItemRow(Base):
    """A sealed credential or KYC membership of one identity."""

    __tablename__ = "worker_vault_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("worker_identities.id"))
    kind: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanApplicationRow(Base):
    """The worker's view of one loan application, driven by idempotent jobs."""

    __tablename__ = "worker_loan_applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("worker_identities.id"))
    lender: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    months: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(32), default="requested")
    remote_id: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str | None] = mapped_column(String(80))
    proofs: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    decision: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    explanation: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    loan: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    payout: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RemittanceRow(Base):
    """One transfer the worker asked for."""

    __tablename__ = "worker_remittances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("worker_identities.id"))
    request: Mapped[Any] = mapped_column(json_type())
    status: Mapped[str] = mapped_column(String(32), default="requested")
    quote: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    transfer_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    proofs: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    """The identity proof once proved (public data), until the transfer is requested."""
    receipt: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
