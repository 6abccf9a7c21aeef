"""Instants: timezone-aware datetimes passed in by the caller.

The domain never reads a clock. Every function that depends on time takes the
instant as a parameter, and it must carry a UTC offset so that windows and
expiries compare unambiguously across services.
"""

from __future__ import annotations

from datetime import datetime

from zkredit.errors import InputError


def require_aware(value: datetime, what: str) -> datetime:
    """Return ``value`` unchanged if it carries a UTC offset; raise :class:`InputError` if naive."""
    if not isinstance(value, datetime):
        raise InputError(f"{what} must be a datetime. Got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"{what} must be timezone-aware. Got naive {value.isoformat()}",
            hint="pass datetime values with tzinfo, e.g. datetime.now(UTC)",
        )
    return value
