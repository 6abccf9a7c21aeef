"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time-zone-aware timestamp and no native JSON, so these types hide the
difference: timestamps always come back as aware UTC datetimes, JSON as Python values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC, at the microsecond precision both databases keep."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC ``datetime``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware. Got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)


def json_type(*, nullable: bool = False) -> TypeEngine[Any]:
    """JSON text on SQLite, ``JSONB`` on PostgreSQL; ``None`` is SQL NULL when ``nullable``."""
    return JSON(none_as_null=nullable).with_variant(JSONB(none_as_null=nullable), "postgresql")


def id_type() -> TypeEngine[int]:
    """A 64-bit surrogate key that still auto-increments on SQLite (which needs ``INTEGER``)."""
    return BigInteger().with_variant(Integer(), "sqlite")
