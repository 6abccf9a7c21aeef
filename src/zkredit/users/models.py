"""Tables of the ``access`` database: accounts, refresh tokens, used confirmations, owners,
and the envelope ids each agent has already delivered (replay protection).

The ``access`` database is one per deployment (SQLite ``<data_dir>/access/access.db``,
or the ``access`` schema on PostgreSQL), shared by every agent: a user logs in at any
of them, and a token one agent issued works at the others.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zkredit.store.columns import UTCDateTime, utcnow
from zkredit.store.models import Base


class AccountRow(Base):
    """A user: a person or a machine caller, with roles and an argon2 password hash."""

    __tablename__ = "access_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    roles: Mapped[str] = mapped_column(String(256))
    """Comma-separated role names."""
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RefreshTokenRow(Base):
    """One refresh token (its SHA-256 only). Using it once replaces it by a new one of the
    same family; presenting a used one again revokes the whole family (a stolen copy)."""

    __tablename__ = "access_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UsedConfirmationRow(Base):
    """A confirmation token that was spent, and on which request (its Idempotency-Key)."""

    __tablename__ = "access_used_confirmations"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    request_key: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OwnerRow(Base):
    """Who owns a resource an agent created for a user (an identity, a loan, a webhook)."""

    __tablename__ = "access_owners"
    __table_args__ = (Index("ix_access_owners_owner", "agent", "kind", "owner"),)

    agent: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SeenEnvelopeRow(Base):
    """An envelope an agent delivered, kept until it could no longer pass the clock check."""

    __tablename__ = "access_seen_envelopes"

    recipient: Mapped[str] = mapped_column(String(32), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
