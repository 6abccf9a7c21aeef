"""Credit agent tables: only public signals, decisions and loan terms. No raw values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zkredit.store.columns import UTCDateTime, json_type, utcnow
from zkredit.store.models import Base


class ApplicationRow(Base):
    __tablename__ = "credit_applications"
    __table_args__ = (UniqueConstraint("requester", "worker_ref"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requester: Mapped[str] = mapped_column(String(64))
    worker_ref: Mapped[str] = mapped_column(String(64))
    wallet: Mapped[str] = mapped_column(String(42))
    scope: Mapped[str] = mapped_column(String(80))  # derived from this lender: shared
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    months: Mapped[int] = mapped_column()
    today: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(32), default="open")
    public_signals: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    decision: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    attestation: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NullifierRow(Base):
    """Nullifiers this lender has accepted: a second use is refused off chain."""

    __tablename__ = "credit_nullifiers"

    nullifier: Mapped[str] = mapped_column(String(80), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanRow(Base):
    __tablename__ = "credit_loans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), unique=True)
    offer_id: Mapped[str] = mapped_column(String(64), unique=True)
    wallet: Mapped[str] = mapped_column(String(42))
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    apr_bps: Mapped[int] = mapped_column()
    months: Mapped[int] = mapped_column()
    schedule: Mapped[Any] = mapped_column(json_type())
    acceptance_signature: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="accepted")
    disbursement: Mapped[Any | None] = mapped_column(json_type(nullable=True))
    repaid_installments: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RepaymentRow(Base):
    """One payment received for a loan, under the payment reference that identifies it."""

    __tablename__ = "credit_repayments"
    __table_args__ = (UniqueConstraint("loan_id", "reference"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    loan_id: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
